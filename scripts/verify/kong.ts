/**
 * Kong's declarative configuration, as the stacks write it (Docker's upload, the Secret on a
 * cluster), checked for what Kong 3.9.3's DB-less loader would refuse or misroute, without Kong (its
 * image is not at hand: `kong config parse` needs it). The rules come from Kong's source at 3.9.3:
 * `_format_version` one of 1.1/2.1/3.0 (kong/db/schema/others/declarative_config.lua); names unique
 * per entity; a route's paths start with `/`; plugins only those loaded (`KONG_PLUGINS`), each with
 * fields its schema has (kong/plugins/<name>/schema.lua); key-auth not reading keys from the query
 * string; consumers' ACL groups naming APIs that exist; `policy: local` for rate limiting (DB-less
 * accepts local or redis only). Broken variant: a second route on the same path.
 */
import { parse } from 'yaml';
import type { Environment } from '../../environments/parse/load';
import { fileKeys } from '../../constructs/render/kubernetes/pod';
import { KONG_CONFIG, KONG_PLUGINS } from '../../constructs/services/kong';
import { type Artifact, dockerFiles, record, terraformRender, validator } from './lib';

/** The fields of each plugin's configuration in Kong 3.9.3 (kong/plugins/<name>/schema.lua), the ones this project may set. */
export const PLUGIN_FIELDS: Readonly<Record<string, readonly string[]>> = {
  // key-auth/schema.lua:12-23
  'key-auth': ['key_names', 'hide_credentials', 'anonymous', 'key_in_header', 'key_in_query', 'key_in_body', 'run_on_preflight', 'realm'],
  // acl/schema.lua: allow, deny, hide_groups_header, always_use_authenticated_groups
  acl: ['allow', 'deny', 'hide_groups_header', 'always_use_authenticated_groups'],
  // rate-limiting/schema.lua:49-98
  'rate-limiting': [
    'second',
    'minute',
    'hour',
    'day',
    'month',
    'year',
    'limit_by',
    'header_name',
    'path',
    'policy',
    'fault_tolerant',
    'redis',
    'hide_client_headers',
    'error_code',
    'error_message',
    'sync_rate',
  ],
  // request-size-limiting/schema.lua:15-17
  'request-size-limiting': ['allowed_payload_size', 'size_unit', 'require_content_length'],
  // cors/schema.lua:34-50
  cors: ['origins', 'headers', 'exposed_headers', 'methods', 'max_age', 'credentials', 'private_network', 'preflight_continue'],
  // prometheus/schema.lua:19-24
  prometheus: ['per_consumer', 'status_code_metrics', 'ai_metrics', 'latency_metrics', 'bandwidth_metrics', 'upstream_health_metrics'],
};

/** The fields of a route and a service in Kong 3.9.3 (kong/db/schema/entities/routes.lua, services.lua), and the entities nested in them. */
const ROUTE_FIELDS = [
  'name',
  'protocols',
  'methods',
  'hosts',
  'paths',
  'headers',
  'snis',
  'sources',
  'destinations',
  'https_redirect_status_code',
  'regex_priority',
  'strip_path',
  'path_handling',
  'preserve_host',
  'request_buffering',
  'response_buffering',
  'tags',
  'service',
  'expression',
  'priority',
  'plugins',
];
const SERVICE_FIELDS = [
  'name',
  'retries',
  'protocol',
  'host',
  'port',
  'path',
  'connect_timeout',
  'write_timeout',
  'read_timeout',
  'tags',
  'client_certificate',
  'tls_verify',
  'tls_verify_depth',
  'ca_certificates',
  'enabled',
  'url',
  'routes',
  'plugins',
];

/** What Kong would refuse in a declarative configuration, or what would route wrongly: empty when none. */
export function kongConfigProblems(doc: any): string[] {
  const problems: string[] = [];
  if (!['1.1', '2.1', '3.0'].includes(doc?._format_version)) problems.push(`_format_version is ${doc?._format_version}`);
  const services: any[] = doc.services ?? [];
  const unique = (what: string, names: string[]) => {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) problems.push(`${what} ${n} is used twice`);
      seen.add(n);
    }
  };
  unique(
    'service name',
    services.map((s) => s.name),
  );
  const routes = [
    ...services.flatMap((s) => (s.routes ?? []).map((r: any) => ({ ...r, service: r.service ?? s.name }))),
    ...(doc.routes ?? []),
  ];
  unique(
    'route name',
    routes.map((r) => r.name),
  );
  unique(
    'path',
    routes.flatMap((r) => r.paths ?? []),
  );
  const names = new Set(services.map((s) => s.name));
  for (const r of routes) {
    const target = typeof r.service === 'string' ? r.service : r.service?.name;
    if (!names.has(target)) problems.push(`route ${r.name} points to service ${target}, which is not declared`);
    for (const p of r.paths ?? []) if (!String(p).startsWith('/')) problems.push(`route ${r.name}: path ${p} does not start with /`);
  }
  for (const s of services) {
    if (!/^https?:\/\/[^/]+:\d+$/.test(String(s.url))) problems.push(`service ${s.name}: url ${s.url}`);
    for (const k of Object.keys(s)) if (!SERVICE_FIELDS.includes(k)) problems.push(`service ${s.name}: no field ${k}`);
    for (const r of s.routes ?? [])
      for (const k of Object.keys(r)) if (!ROUTE_FIELDS.includes(k)) problems.push(`route ${r.name}: no field ${k}`);
  }
  const plugins = [
    ...services.flatMap((s) => (s.plugins ?? []).map((p: any) => ({ ...p, where: `service ${s.name}` }))),
    ...(doc.plugins ?? []).map((p: any) => ({ ...p, where: 'global' })),
  ];
  for (const p of plugins) {
    if (!(KONG_PLUGINS as readonly string[]).includes(p.name)) problems.push(`${p.where}: plugin ${p.name} is not loaded (KONG_PLUGINS)`);
    const fields = PLUGIN_FIELDS[p.name];
    for (const k of Object.keys(p.config ?? {}))
      if (fields && !fields.includes(k)) problems.push(`${p.where}: ${p.name} has no field ${k}`);
    if (p.name === 'key-auth' && p.config?.key_in_query !== false) problems.push(`${p.where}: key-auth reads keys from the query string`);
    if (p.name === 'rate-limiting' && !['local', 'redis'].includes(p.config?.policy))
      problems.push(`${p.where}: rate-limiting policy ${p.config?.policy} needs a database`);
  }
  const consumers: any[] = doc.consumers ?? [];
  unique(
    'consumer',
    consumers.map((c) => c.username),
  );
  unique(
    'key',
    consumers.flatMap((c) => (c.keyauth_credentials ?? []).map((k: any) => k.key)),
  );
  for (const c of consumers) {
    for (const k of c.keyauth_credentials ?? [])
      if (typeof k.key !== 'string' || k.key.length < 16) problems.push(`consumer ${c.username}: a short key`);
    for (const g of c.acls ?? []) if (!names.has(g.group)) problems.push(`consumer ${c.username}: ACL group ${g.group} is no API`);
  }
  return problems;
}

/** The declarative file of an environment, as its stack writes it. */
function kongFile(artifact: Artifact, env: Environment): string {
  if (env.target.kind === 'docker') return dockerFiles(artifact, env, 'kong.yml')[0]!.content;
  const spec = env.specs.find((s) => s.name === 'kong')!;
  const file = spec.containers[0]!.files.find((f) => f.path === KONG_CONFIG)!;
  const key = fileKeys([file])[0]!.key;
  const tf = artifact.stackJson(env.name).resource;
  const content = tf.kubernetes_secret_v1?.kong_secret?.data?.[key] ?? tf.kubernetes_config_map_v1?.kong_config?.data?.[key];
  return terraformRender(content, tf);
}

const outcome = (problems: string[]) => ({ code: problems.length ? 1 : 0, out: problems.join('\n') });

export async function verifyKong(artifact: Artifact): Promise<void> {
  const withKong = [...artifact.envs.values()].filter((e) => e.specs.some((s) => s.name === 'kong'));
  record(`environments with the API gateway found (${withKong.map((e) => e.name).join(', ') || 'none'})`, withKong.length > 0);
  for (const env of withKong) {
    const doc = parse(kongFile(artifact, env));
    await validator(
      `${env.name}/kong kong.yml (Kong 3.9.3 DB-less essentials: unique names and paths, declared services, loaded plugins and their fields)`,
      () => outcome(kongConfigProblems(doc)),
      () => {
        const broken = structuredClone(doc);
        broken.services[0].routes.push({ ...broken.services[0].routes[0], name: 'again' });
        return outcome(kongConfigProblems(broken));
      },
    );
  }
}
