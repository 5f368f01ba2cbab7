/**
 * Loading an environment (parse, then compose): validate the file's fields, merge the profile into
 * each enabled service, validate each service with its own schema, and build the neutral specs
 * (constructs/services). Every problem is collected and reported together as a `ConfigError`
 * naming the file and the field path. Checks of the built specs (security/, each target's pure
 * part) come next, in the pipeline (stacks/pipeline.ts); nothing here knows a target.
 */
import * as path from 'node:path';
import type { z } from 'zod';
import {
  type BuildContext,
  type ConsumerRequest,
  type ServiceConfigs,
  type ServiceDefinition,
  type ServiceName,
  catalogue,
  compose,
  consumable,
  serviceNames,
} from '../../constructs/services';
import type { ServiceSpec } from '../../constructs/spec/types';
import type { BackupPolicy } from '../../constructs/services/backup';
import { type Backend, type Consumer, type EnvironmentInput, type Target, type Waiver, environmentSchema } from './schema';
import { didYouMean, knownKeys, plainMessage } from './messages';
import { type ProfileName, profiles } from './profiles';

export interface EnvironmentSource {
  /** Path of the environment file, relative to the project root, for messages. */
  readonly file: string;
  readonly input: EnvironmentInput | unknown;
}

export interface Issue {
  /** Dotted field path inside the environment file (`services.redis.resources.limits.memory`). */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly issues: readonly Issue[],
  ) {
    super(
      `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${issues.map((i) => `  - ${file}: ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    );
  }
}

export type { ServiceConfigs };

export interface Environment {
  readonly file: string;
  readonly name: string;
  readonly project: string;
  readonly profile: ProfileName;
  readonly target: Target;
  readonly backend: Backend;
  readonly labels: Readonly<Record<string, string>>;
  readonly protectData: boolean;
  /** TLS between the services and to the applications: whether the plaintext listeners stay during the move. */
  readonly internalTls: { readonly enabled: boolean; readonly plaintext: boolean };
  /** Exceptions to the guardrails, each for one rule and one resource, with its reason. */
  readonly waivers: readonly Waiver[];
  /** The applications that use the platform (each service's specs carry what each one receives). */
  readonly consumers: readonly Consumer[];
  /** The backup policy every stateful service's plan follows; absent where backups are off. */
  readonly backups?: BackupPolicy;
  readonly services: ServiceConfigs;
  readonly specs: readonly ServiceSpec[];
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

function issuesOf(error: z.ZodError, schema: z.ZodType, input: unknown, prefix: readonly PropertyKey[] = []): Issue[] {
  return error.issues.flatMap((issue): Issue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const isServices = path.length === 1 && path[0] === 'services';
      const known = isServices ? [...serviceNames] : knownKeys(schema, issue.path, input);
      return issue.keys.map((key) => {
        const hint = didYouMean(key, known);
        const suggestion = hint ? `; did you mean ${hint}?` : '';
        return {
          path: formatPath([...path, key]),
          message: isServices
            ? `unknown service${suggestion || `; the catalogue has ${serviceNames.join(', ')}`}`
            : `unknown field${suggestion || (known.length ? `; the fields here are ${known.join(', ')}` : '')}`,
        };
      });
    }
    return [{ path: formatPath(path), message: plainMessage(issue) }];
  });
}

type PlainObject = Record<string, unknown>;
const isPlainObject = (v: unknown): v is PlainObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; arrays and scalars in `override` replace the base value. */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: PlainObject = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = deepMerge(base[key], value);
  return out;
}

export function loadEnvironment(source: EnvironmentSource): Environment {
  const { file } = source;
  const parsed = environmentSchema.safeParse(source.input, { reportInput: true });
  if (!parsed.success) {
    // Keep going into the services when only other fields failed, so one run reports everything.
    const issues = issuesOf(parsed.error, environmentSchema, source.input);
    const raw = isPlainObject(source.input) ? source.input : {};
    const profile = typeof raw.profile === 'string' && raw.profile in profiles ? (raw.profile as ProfileName) : undefined;
    if (profile && isPlainObject(raw.services)) issues.push(...resolveServices(raw.services, profile).issues);
    throw new ConfigError(file, issues);
  }
  const env = parsed.data;
  const stem = path.basename(file).replace(/\.[cm]?[jt]s$/, '');
  if (stem !== env.name) {
    throw new ConfigError(file, [
      {
        path: 'name',
        message: `"${env.name}" differs from the file name; the stack id is the environment name, so rename the file to ${path.join(path.dirname(file), `${env.name}.ts`)} or set name: '${stem}'`,
      },
    ]);
  }
  const resolved = resolveServices(env.services, env.profile);
  if (resolved.issues.length > 0) throw new ConfigError(file, resolved.issues);
  const consumers = resolveConsumers(env.consumers, resolved.configs);
  if (consumers.issues.length > 0) throw new ConfigError(file, consumers.issues);

  const profile = profiles[env.profile];
  const backups = backupPolicy(env.backups, profile.backups);
  const storeBuckets = (resolved.configs.objectstore as { buckets?: readonly string[] } | undefined)?.buckets ?? [];
  if (backups && storeBuckets.includes(backups.bucket)) {
    throw new ConfigError(file, [
      {
        path: 'backups.bucket',
        message: `"${backups.bucket}" is one of services.objectstore.buckets, which applications use; the backups need a bucket of their own`,
      },
    ]);
  }
  const ctx: BuildContext = {
    environment: env.name,
    project: env.project,
    sidecarResources: profile.sidecarResources,
    jobResources: profile.jobResources,
    ...(env.internalTls.enabled ? { tls: { plaintext: env.internalTls.plaintext } } : {}),
    ...(backups ? { backups } : {}),
  };
  const services = resolved.configs as ServiceConfigs;
  return {
    file,
    name: env.name,
    project: env.project,
    profile: env.profile,
    target: env.target,
    backend: env.backend,
    labels: env.labels,
    protectData: env.protectData,
    internalTls: env.internalTls,
    waivers: env.guardrails.waivers,
    consumers: env.consumers,
    ...(backups ? { backups } : {}),
    services,
    specs: compose(services, ctx, consumers.requests),
  };
}

/** The environment's backup policy: its own settings over the profile's objectives (none when off). */
function backupPolicy(
  b: z.output<typeof environmentSchema>['backups'],
  defaults: { readonly rpoMinutes: number; readonly rtoMinutes: number },
): BackupPolicy | undefined {
  if (!b.enabled) return undefined;
  const [hours, minutes] = b.window.split(':').map(Number) as [number, number];
  return {
    objectives: { rpoMinutes: b.rpoMinutes ?? defaults.rpoMinutes, rtoMinutes: b.rtoMinutes ?? defaults.rtoMinutes },
    retention: b.retention,
    windowMinute: hours * 60 + minutes,
    bucket: b.bucket,
  };
}

/**
 * What an application uses when it names no services: every enabled service applications can use,
 * except, when the API gateway is enabled, those without authentication of their own (it reaches
 * them through the gateway, which is then among its services).
 */
export function defaultServices(configs: Partial<Record<ServiceName, unknown>>): ServiceName[] {
  const enabled = consumable.filter((n) => configs[n] !== undefined);
  const gateway = enabled.some((n) => (catalogue[n] as ServiceDefinition).apiGateway === true);
  return enabled.filter((n) => !(gateway && (catalogue[n] as ServiceDefinition).unauthenticated === true));
}

/**
 * Which services each consumer uses, with the access it asked for checked by each service's own
 * schema: the services it names, or `defaultServices`. The platform's own consumers (Roundcube's
 * database role) are resolved the same way, from the entries that declare them.
 */
function resolveConsumers(consumers: readonly Consumer[], configs: Partial<Record<ServiceName, unknown>>) {
  const issues: Issue[] = [];
  const requests: Partial<Record<ServiceName, ConsumerRequest[]>> = {};
  const platform = (Object.entries(configs) as [ServiceName, unknown][]).flatMap(
    ([name, config]) => (catalogue[name] as ServiceDefinition).platformConsumers?.(config) ?? [],
  );
  consumers.forEach((consumer, i) => {
    const taken = platform.find((p) => p.name === consumer.name);
    if (taken) {
      issues.push({
        path: formatPath(['consumers', i, 'name']),
        message: `"${consumer.name}" is the platform's own identity for ${taken.spec} (${taken.configPath}); choose another name`,
      });
    }
  });
  for (const p of platform) {
    for (const [name, access] of Object.entries(p.services)) {
      const def = catalogue[name as ServiceName] as ServiceDefinition | undefined;
      if (!def?.consumerAccess) throw new Error(`${p.spec}: ${name} has no consumer access`);
      if (configs[name as ServiceName] === undefined) {
        issues.push({ path: p.configPath, message: `${p.spec} keeps its data in ${name}, which is not enabled (services.${name})` });
        continue;
      }
      const result = def.consumerAccess.safeParse(access);
      if (!result.success) throw new Error(`${p.spec}: its access to ${name} is invalid: ${result.error.message}`);
      (requests[name as ServiceName] ??= []).push({ name: p.name, access: result.data as Record<string, unknown>, platform: p.spec });
    }
  }
  consumers.forEach((consumer, i) => {
    const wanted: Record<string, unknown> = consumer.services ?? Object.fromEntries(defaultServices(configs).map((n) => [n, {}]));
    for (const [name, access] of Object.entries(wanted)) {
      const at = ['consumers', i, 'services', name];
      if (!(serviceNames as string[]).includes(name)) {
        const hint = didYouMean(name, consumable);
        issues.push({
          path: formatPath(at),
          message: `unknown service${hint ? `; did you mean ${hint}?` : `; applications can use ${consumable.join(', ')}`}`,
        });
        continue;
      }
      const def = catalogue[name as ServiceName] as ServiceDefinition;
      if (!def.consumerAccess) {
        issues.push({ path: formatPath(at), message: `applications do not use ${name} directly; they can use ${consumable.join(', ')}` });
        continue;
      }
      if (configs[name as ServiceName] === undefined) {
        issues.push({ path: formatPath(at), message: `${name} is not enabled in this environment (services.${name})` });
        continue;
      }
      const result = def.consumerAccess.safeParse(access, { reportInput: true });
      if (!result.success) {
        issues.push(...issuesOf(result.error, def.consumerAccess, access, at));
        continue;
      }
      (requests[name as ServiceName] ??= []).push({
        name: consumer.name,
        access: result.data as Record<string, unknown>,
        configPath: formatPath(at),
      });
    }
  });
  for (const [name, list] of Object.entries(requests) as [ServiceName, ConsumerRequest[]][]) {
    const def = catalogue[name] as ServiceDefinition;
    for (const problem of def.consumerIssues?.(configs[name], list) ?? []) {
      const i = consumers.findIndex((c) => c.name === problem.consumer);
      const own = platform.find((p) => p.name === problem.consumer);
      issues.push({ path: i >= 0 ? formatPath(['consumers', i, 'services', name]) : (own?.configPath ?? ''), message: problem.message });
    }
  }
  return { requests, issues };
}

function resolveServices(services: Record<string, unknown>, profileName: ProfileName) {
  const issues: Issue[] = [];
  const configs: Partial<Record<ServiceName, unknown>> = {};
  for (const name of serviceNames) {
    const override = services[name];
    if (override === undefined) continue;
    const merged = deepMerge(profiles[profileName].services[name], override);
    if (isPlainObject(merged) && merged.enabled === false) continue;
    const schema = catalogue[name].schema as z.ZodType;
    const result = schema.safeParse(merged, { reportInput: true });
    if (result.success) configs[name] = result.data;
    else issues.push(...issuesOf(result.error, schema, merged, ['services', name]));
  }
  return { configs, issues };
}
