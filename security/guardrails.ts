/**
 * The check stage's validity checks: what makes an environment impossible to render or to run, with a
 * message naming the field (names used twice, references that do not resolve, volumes and
 * dependencies not declared, consumers' access, clusters' shapes), and what the target can do (GPUs,
 * replica counts, host ports). They run after every service schema has passed and before any
 * resource exists. The guardrails (what the platform refuses to deploy even though it would run:
 * unpinned images, missing limits, literal secrets, ...) are rules with ids and waivers:
 * security/spec-rules.ts over the specs, security/resource-rules.ts over the synthesized Terraform.
 */
import { referencesOf } from '../constructs/spec/template';
import type { ContainerSpec, JobSpec, ServiceSpec, Text } from '../constructs/spec/types';
import { capabilitiesOf, gpuSettingPath } from '../constructs/targets/capabilities';
import { awsChecks } from '../constructs/targets/aws/checks';
import { dockerChecks } from '../constructs/targets/docker/checks';
import { containerSpecs } from '../constructs/targets';
import { clusterChecks, kubernetesCertificateChecks, kubernetesConsumerChecks } from '../constructs/targets/kubernetes/checks';
import type { Environment, Issue } from '../environments/parse/load';
import { isRuleId, ruleIds } from './rules';

/** Credentials copied from upstream examples; none may ever be synthesized. */
export const DEFAULT_CREDENTIALS = ['admin123', 'minioadmin', 'manas-admin', 'changeme', 'password123', 'guest:guest', 'admin:admin'];

/** Environment variables whose value must come from a generated secret, never a literal. */
export const SECRET_ENV = /(PASSWORD|_PASS|SECRET|TOKEN|API_KEY|_KEY|_AUTH)$/;

export const MIN_SECRET_LENGTH = 16;

export type Workload = { kind: 'container'; spec: ContainerSpec } | { kind: 'job'; spec: JobSpec };

export function workloads(service: ServiceSpec): Workload[] {
  return [
    ...service.containers.map((spec): Workload => ({ kind: 'container', spec })),
    ...service.jobs.map((spec): Workload => ({ kind: 'job', spec })),
  ];
}

export function textsOf(w: Workload): { where: string; text: Text }[] {
  const s = w.spec;
  const out: { where: string; text: Text }[] = [];
  Object.entries(s.env).forEach(([k, v]) => out.push({ where: `env ${k}`, text: v }));
  (s.command ?? []).forEach((t, i) => out.push({ where: `command[${i}]`, text: t }));
  if (w.kind === 'container') (w.spec.args ?? []).forEach((t, i) => out.push({ where: `args[${i}]`, text: t }));
  s.files.forEach((f) => out.push({ where: `file ${f.path}`, text: f.content }));
  if (w.kind === 'container') w.spec.health.exec.forEach((t, i) => out.push({ where: `health[${i}]`, text: t }));
  return out;
}

export const literalParts = (text: Text): string[] =>
  typeof text === 'string' ? [text] : text.parts.filter((p): p is string => typeof p === 'string');

/** Every problem of a composed environment: the guardrails, then what its target cannot do. */
export function checkEnvironment(env: Environment): Issue[] {
  const issues: Issue[] = [];
  const caps = capabilitiesOf(env.target);
  const byName = new Map<string, ServiceSpec>();
  for (const spec of env.specs) {
    if (byName.has(spec.name)) issues.push({ path: spec.configPath, message: `service name "${spec.name}" is used twice` });
    byName.set(spec.name, spec);
  }

  for (const spec of env.specs) {
    for (const problem of spec.configIssues ?? []) issues.push({ path: problem.path, message: problem.message });
    const at = (suffix: string) => (suffix ? `${spec.configPath}.${suffix}` : spec.configPath);
    const names = new Set<string>();
    for (const w of workloads(spec)) {
      const label = `${w.kind} ${w.spec.name}`;
      if (names.has(w.spec.name)) issues.push({ path: at(''), message: `${label}: name used twice` });
      names.add(w.spec.name);

      for (const m of w.spec.mounts) {
        const owner = m.service ? byName.get(m.service) : spec;
        if (m.service && !spec.dependsOn.includes(m.service)) {
          issues.push({ path: at(''), message: `${label}: mounts a volume of ${m.service} without declaring the dependency` });
        } else if (!owner?.volumes.some((v) => v.name === m.volume)) {
          issues.push({
            path: at('persistence'),
            message: `${label}: mounts undeclared volume "${m.service ? `${m.service}/` : ''}${m.volume}"`,
          });
        }
      }
      for (const { where, text } of textsOf(w)) {
        for (const ref of referencesOf(text)) {
          if (ref.kind === 'self') continue;
          if (ref.kind === 'member') {
            // A target expands a member's name per member at start: environment and command lines only.
            if (where.startsWith('file '))
              issues.push({
                path: at(''),
                message: `${label}: ${where} uses the member's own ${ref.form ?? 'name'}, which only environment variables and commands can carry`,
              });
            continue;
          }
          if (ref.kind === 'peer' && (ref.index < 0 || ref.index >= (byName.get(ref.service)?.replicas ?? 1))) {
            issues.push({
              path: at(''),
              message: `${label}: ${where} refers to member ${ref.index} of ${ref.service}, which has ${byName.get(ref.service)?.replicas ?? 0}`,
            });
          }
          const target = byName.get(ref.service);
          if (!target) {
            issues.push({ path: at(''), message: `${label}: ${where} refers to service "${ref.service}", which is not enabled` });
            continue;
          }
          if (ref.kind === 'secret' && !target.secrets.some((s) => s.name === ref.name)) {
            issues.push({ path: at(''), message: `${label}: ${where} refers to undeclared secret ${ref.service}/${ref.name}` });
          }
          if (ref.service !== spec.name && !spec.dependsOn.includes(ref.service)) {
            issues.push({ path: at(''), message: `${label}: ${where} uses ${ref.service} without declaring the dependency` });
          }
        }
      }
    }
    for (const [key, text] of Object.entries(spec.connection ?? {})) {
      // Published as plain facts for every client: no secret, nothing that differs per member.
      const refs = referencesOf(text);
      if (refs.some((r) => r.kind === 'secret' || r.kind === 'member' || r.kind === 'self')) {
        issues.push({
          path: at(''),
          message: `connection ${key}: clients' connection facts carry no secret and nothing a member expands for itself`,
        });
      }
      for (const r of refs) {
        if (r.kind === 'peer' && (r.service !== spec.name || r.index < 0 || r.index >= spec.replicas)) {
          issues.push({
            path: at(''),
            message: `connection ${key}: refers to member ${r.index} of ${r.service}; ${spec.name} has ${spec.replicas}`,
          });
        }
      }
    }
    // What applications receive: client ports, plain facts, and credentials scoped to them.
    const clientPorts = new Set(spec.containers.flatMap((c) => c.ports.filter((p) => p.purpose === 'client').map((p) => p.name)));
    for (const access of spec.consumers ?? []) {
      const who = `consumer ${access.consumer}`;
      if (access.platform !== undefined) {
        // One of the platform's own services: it must exist and declare the dependency it uses it by.
        const user = byName.get(access.platform);
        if (!user) issues.push({ path: at(''), message: `${who} belongs to ${access.platform}, which is not enabled` });
        else if (!user.dependsOn.includes(spec.name))
          issues.push({
            path: user.configPath,
            message: `${access.platform} uses ${spec.name} as ${who} without declaring the dependency`,
          });
      } else if (!env.consumers.some((c) => c.name === access.consumer)) {
        issues.push({ path: at(''), message: `${who} is not one of the environment's consumers` });
      }
      for (const p of access.ports) {
        if (!clientPorts.has(p)) issues.push({ path: at(''), message: `${who}: port ${p} is not a client port of ${spec.name}` });
      }
      for (const [key, text] of Object.entries(access.facts)) {
        if (referencesOf(text).some((r) => r.kind !== 'host' && r.kind !== 'peer')) {
          issues.push({
            path: at(''),
            message: `${who}: fact ${key} carries a secret or a member's own name; facts are plain connection data`,
          });
        }
      }
      for (const [key, text] of Object.entries(access.credentials)) {
        for (const r of referencesOf(text)) {
          if (r.kind !== 'secret') {
            issues.push({
              path: at(''),
              message: `${who}: credential ${key} carries a ${r.kind} reference; credentials are secrets and literals only`,
            });
            continue;
          }
          const secret = byName.get(r.service)?.secrets.find((x) => x.name === r.name);
          if (r.service !== spec.name || (secret && (secret.audience ?? 'service') !== 'application')) {
            issues.push({
              path: at(''),
              message: `${who}: credential ${key} uses ${r.service}/${r.name}, which is not an application's secret of ${spec.name}; admin credentials are never published`,
            });
          }
          if ((r.form ?? 'value') !== 'value')
            issues.push({ path: at(''), message: `${who}: credential ${key} must be the secret's value` });
        }
      }
    }
    if (spec.cluster && spec.replicas < 2) issues.push({ path: at('replicas'), message: 'a cluster needs more than one member' });
    if (spec.cluster && (spec.cluster.maxUnavailable < 1 || spec.cluster.maxUnavailable >= spec.replicas)) {
      issues.push({
        path: at('replicas'),
        message: `a cluster of ${spec.replicas} cannot lose ${spec.cluster.maxUnavailable} members at once and keep working`,
      });
    }
    for (const dep of spec.dependsOn) {
      if (!byName.has(dep)) issues.push({ path: at(''), message: `depends on "${dep}", which is not enabled in this environment` });
    }

    // What the target can do.
    const gpus = Math.max(0, ...spec.containers.map((c) => c.gpus ?? 0));
    if (gpus > 0 && !caps.gpu) {
      issues.push({
        path: at('gpus'),
        message: `asks for ${gpus} GPU${gpus > 1 ? 's' : ''} but environment "${env.name}" has none (${gpuSettingPath(env.target)} is not set)`,
      });
    }
    if (caps.maxReplicas !== undefined && spec.replicas > caps.maxReplicas) {
      issues.push({
        path: at('replicas'),
        message: `the ${env.target.kind} target runs ${caps.maxReplicas} instance per service; ${spec.replicas} unconnected copies would not be a cluster`,
      });
    }
    const configured = hostPortOverrides(env, spec.configPath);
    const portNames = new Set(spec.containers.flatMap((c) => c.ports.map((p) => p.name)));
    for (const key of Object.keys(configured)) {
      if (!caps.publishesHostPorts) {
        issues.push({
          path: at(`hostPorts.${key}`),
          message: `host ports are published by the docker target only; this environment runs on ${env.target.kind}, so remove hostPorts`,
        });
      } else if (!portNames.has(key)) {
        issues.push({ path: at(`hostPorts.${key}`), message: `no port named "${key}"; ports are ${[...portNames].join(', ')}` });
      }
    }
  }
  if (env.internalTls.enabled && !capabilitiesOf(env.target).internalTls) {
    issues.push({
      path: 'internalTls.enabled',
      message: `a ${env.target.kind} target does not issue the internal CA's certificates; remove internalTls.enabled`,
    });
  }
  env.waivers.forEach((w, i) => {
    if (!isRuleId(w.rule))
      issues.push({
        path: `guardrails.waivers[${i}].rule`,
        message: `${w.rule} is not a guardrail rule; the rules are ${ruleIds.join(', ')} (docs/operations.md, "Guardrails")`,
      });
  });
  issues.push(...dockerChecks(env), ...awsChecks(env), ...kubernetesConsumerChecks(env), ...kubernetesCertificateChecks(env));
  if (env.target.kind !== 'docker') issues.push(...clusterChecks(containerSpecs[env.target.kind](env)));
  return issues;
}

function hostPortOverrides(env: Environment, configPath: string): Record<string, number> {
  let node: unknown = { services: env.services };
  for (const key of configPath.split('.')) node = (node as Record<string, unknown> | undefined)?.[key];
  const hp = (node as { hostPorts?: Record<string, number> } | undefined)?.hostPorts;
  return hp ?? {};
}

/** Shell words that are builtins of every /bin/sh the images run (dash, busybox ash, bash): no process, no command line. */
const BUILTINS = new Set(['printf', 'echo', 'export', 'read', 'local']);

/**
 * The commands of a shell script that receive the content of one of `secretFiles` as an argument
 * (`wget --password="$(cat /run/secrets/x)"`): a command substitution reading the file, used as
 * anything but a builtin's argument or a variable's value. A heuristic for the scripts the specs
 * write: it reads the simple command back to the last `;`, `&`, `|`, `(` or newline.
 */
export function secretArguments(script: string, secretFiles: readonly string[]): string[] {
  const found: string[] = [];
  // The script with every command substitution read so far blanked out, so an earlier `$(...)` on the
  // same command line is one word, not a place where a command starts.
  let masked = script;
  for (let i = script.indexOf('$('); i >= 0; i = script.indexOf('$(', i + 2)) {
    let depth = 0;
    let end = i + 1;
    for (; end < script.length; end++) {
      if (script[end] === '(') depth++;
      else if (script[end] === ')' && --depth === 0) break;
    }
    const inner = script.slice(i + 2, end);
    const before = masked.slice(0, i).replace(/"$/, '');
    masked = `${masked.slice(0, i)}${'S'.repeat(end + 1 - i)}${masked.slice(end + 1)}`;
    if (!secretFiles.some((f) => inner.includes(f))) continue;
    // A variable's value (NAME="$(...)", alone or as a command's environment): not an argument.
    const assigned = /(^|[\s;&|(])([A-Za-z_][A-Za-z0-9_]*)=$/.exec(before);
    if (assigned) continue;
    const start = Math.max(...[';', '&', '|', '(', '\n'].map((d) => before.lastIndexOf(d))) + 1;
    const words = before
      .slice(start)
      .trim()
      .split(/\s+/)
      .filter((w) => w && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w));
    const command = words[0] ?? '';
    if (!BUILTINS.has(command)) found.push(command || '(a command)');
  }
  return found;
}
