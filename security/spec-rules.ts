/**
 * The guardrails over the composed specs (the check stage, before anything renders): what every
 * container, job and file of every service must be, whatever the target. Each violation names the
 * service's settings (`services.redis`) as its resource, which is what a waiver names.
 */
import { hasSecret, referencesOf } from '../constructs/spec/template';
import type { ServiceSpec } from '../constructs/spec/types';
import { cpuMillicores, memoryBytes } from '../constructs/spec/quantity';
import type { Environment } from '../environments/parse/load';
import { DEFAULT_CREDENTIALS, MIN_SECRET_LENGTH, SECRET_ENV, literalParts, secretArguments, textsOf, workloads } from './guardrails';
import type { RuleId, Violation } from './rules';

/** Every violation of the spec-level rules in an environment. */
export function specViolations(env: Environment): Violation[] {
  return [...env.specs.flatMap(specRules), ...env.specs.flatMap((s) => backupRules(s, env))];
}

/**
 * A stateful service without a backup (PLAT-DATA-004): a volume marked `backup: true` that the spec's
 * plan does not cover. Where the environment turned backups off (`backups.enabled: false`) no spec
 * has a plan, by that decision: then an environment that keeps its data (`protectData`) gets one
 * warning per stateful service (PLAT-DATA-005), and a disposable one nothing.
 */
export function backupRules(spec: ServiceSpec, env: Pick<Environment, 'backups' | 'protectData'>): Violation[] {
  const marked = spec.volumes.filter((v) => v.backup).map((v) => v.name);
  if (marked.length === 0) return [];
  const at = (rule: RuleId, message: string): Violation => ({ rule, resource: spec.configPath, message: `${spec.name}: ${message}` });
  if (!env.backups)
    return env.protectData
      ? [
          at(
            'PLAT-DATA-005',
            `volumes ${marked.join(', ')} are not backed up: backups are off (backups.enabled: false) and the environment keeps its data`,
          ),
        ]
      : [];
  if (!spec.backup) return [at('PLAT-DATA-004', `volumes ${marked.join(', ')} are marked for backup, and the service has no backup plan`)];
  const covered = new Set(spec.backup.volumes);
  const missing = marked.filter((v) => !covered.has(v));
  return missing.length
    ? [at('PLAT-DATA-004', `volumes ${missing.join(', ')} are marked for backup, and its backup plan does not cover them`)]
    : [];
}

/** The rules every spec meets on its own. */
export function specRules(spec: ServiceSpec): Violation[] {
  const out: Violation[] = [];
  const add = (rule: RuleId, message: string) => out.push({ rule, resource: spec.configPath, message: `${spec.name}: ${message}` });

  for (const w of workloads(spec)) {
    const label = `${w.kind} ${w.spec.name}`;
    const { tag, digest } = w.spec.image;
    if (!digest && (!tag || tag.toLowerCase() === 'latest'))
      add('PLAT-CTR-001', `${label}: image ${w.spec.image.repository} is not pinned to a version`);
    const r = w.spec.resources;
    if (cpuMillicores(r.limits.cpu) <= 0 || memoryBytes(r.limits.memory) <= 0)
      add('PLAT-CTR-002', `${label}: cpu and memory limits are required`);
    if (w.kind === 'container' && w.spec.health.exec.length === 0) add('PLAT-CTR-003', `${label}: has no health check`);
    // Root only with a reason: the privileges a server needs (docker-mailserver drops to each daemon's
    // user itself), or host access (a node exporter).
    if (w.kind === 'container' && w.spec.user.split(':')[0] === '0' && !w.spec.host && !w.spec.privileges?.root)
      add(
        'PLAT-CTR-004',
        `${label}: runs as root without privileges or host access that say why (ContainerSpec.privileges, ContainerSpec.host)`,
      );
    if (w.kind === 'container' && w.spec.privileges && w.spec.privileges.reason.trim().length === 0)
      add('PLAT-CTR-004', `${label}: asks for privileges without a reason`);
    if (w.kind === 'container' && w.spec.host && w.spec.host.reason.trim().length === 0)
      add('PLAT-CTR-004', `${label}: has host access without a reason`);
    if (w.spec.startsAsRoot !== undefined && w.spec.startsAsRoot.trim().length === 0)
      add('PLAT-CTR-004', `${label}: starts as root on Docker without saying why (startsAsRoot is the reason)`);

    for (const f of w.spec.files) {
      if (hasSecret(f.content) && (f.mode & 0o337) !== 0) {
        add(
          'PLAT-SEC-005',
          `${label}: secret file ${f.path} has mode 0${f.mode.toString(8)}; secret files are readable by owner and group only (0440 or 0400)`,
        );
      }
    }
    const secretPaths = w.spec.files.filter((f) => hasSecret(f.content)).map((f) => f.path);
    for (const { where, text } of textsOf(w)) {
      const inFile = where.startsWith('file ');
      if (!inFile) {
        for (const command of literalParts(text).flatMap((l) => secretArguments(l, secretPaths))) {
          add(
            'PLAT-SEC-004',
            `${label}: ${where} passes a secret file's content to ${command} on its command line, which ps shows on the host; pass it in a file, on standard input or in the environment`,
          );
        }
        if (hasSecret(text)) {
          add(
            'PLAT-SEC-003',
            `${label}: ${where} carries a secret; secrets reach containers as files only (environment variables and command lines are visible to docker inspect and ps)`,
          );
        }
      }
      const key = where.startsWith('env ') ? where.slice(4) : undefined;
      if (key && SECRET_ENV.test(key) && !referencesOf(text).some((r) => r.kind === 'secret'))
        add('PLAT-SEC-001', `${label}: ${where} holds a literal; secrets must reference a generated secret`);
      for (const literal of literalParts(text)) {
        const bad = DEFAULT_CREDENTIALS.find((c) => literal.toLowerCase().includes(c));
        if (bad) add('PLAT-SEC-002', `${label}: ${where} contains the default credential "${bad}"`);
      }
    }
  }
  for (const secret of spec.secrets) {
    if (!secret.provided && secret.length < MIN_SECRET_LENGTH)
      add('PLAT-SEC-006', `secret ${secret.name} is ${secret.length} characters; at least ${MIN_SECRET_LENGTH} are generated`);
  }
  // A data service's API is for the platform's applications, inside; only people's UIs go out.
  if (spec.concern === 'data' || spec.concern === 'messaging') {
    for (const p of spec.containers.flatMap((c) => c.ports)) {
      if (p.external && p.purpose !== 'ui')
        add('PLAT-NET-003', `port ${p.name} (${p.purpose}) of a ${spec.concern} service is routed from outside the platform`);
    }
  }
  for (const name of spec.tls?.plaintextPorts ?? []) {
    add('PLAT-NET-005', `port ${name} accepts plaintext connections beside TLS (internalTls.plaintext)`);
  }
  return out;
}
