/**
 * The offline copy of a stack that uses the AWS provider: what `terraform init/validate/plan` can
 * run on a machine with only the hashicorp/aws provider in a local mirror and no AWS account.
 *
 * - Resources and data sources of every other provider (random, kubernetes, helm, tls, ...) are left
 *   out, and counted. References to them inside AWS resources become stand-in literals (a generated
 *   password becomes `Offline...`), `depends_on` entries on them are dropped, outputs that name them
 *   are dropped. The copy then holds no reference to anything that is not AWS (checked).
 * - The AWS provider gets fake credentials and the skip flags, in this copy only; the backend goes.
 *
 * Pure functions: the verify script runs Terraform on the result, and tests use the same reading of
 * references to compute the dependency chain from the synthesized JSON.
 */

export interface OfflineCopy {
  readonly json: any;
  /** Left-out resources and data sources, by provider. */
  readonly leftOut: Readonly<Record<string, number>>;
  /** References to left-out resources replaced inside AWS resources. */
  readonly standIns: number;
}

const isAws = (type: string) => type.startsWith('aws_');
const providerOf = (type: string) => type.slice(0, type.indexOf('_'));

/** Every `type.name` address a stack's JSON declares (`data.` prefixed for data sources). */
export function addressesOf(json: any): Set<string> {
  const out = new Set<string>();
  for (const [type, byName] of Object.entries<Record<string, unknown>>(json.resource ?? {}))
    for (const n of Object.keys(byName)) out.add(`${type}.${n}`);
  for (const [type, byName] of Object.entries<Record<string, unknown>>(json.data ?? {}))
    for (const n of Object.keys(byName)) out.add(`data.${type}.${n}`);
  return out;
}

/** A reference to a resource inside a Terraform expression, with its attribute path. */
const REFERENCE = /(?<![\w.-])((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*)((?:\.[A-Za-z_][\w-]*|\[\d+\]|\[\*\])*)/g;

/** The resource addresses an expression string refers to (only inside `${...}`). */
export function referencesIn(text: string, known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const expr of interpolations(text)) {
    for (const m of expr.matchAll(REFERENCE)) if (known.has(m[1]!)) out.push(m[1]!);
  }
  return out;
}

/** The bodies of the `${...}` interpolations in a string (`$${` is an escape, not one). */
export function interpolations(text: string): string[] {
  const out: string[] = [];
  for (let i = text.indexOf('${'); i !== -1; i = text.indexOf('${', i + 2)) {
    if (i > 0 && text[i - 1] === '$') continue;
    let depth = 0;
    let quoted = false;
    for (let j = i + 2; j < text.length; j++) {
      const c = text[j];
      if (quoted) {
        if (c === '\\') j++;
        else if (c === '"') quoted = false;
      } else if (c === '"') quoted = true;
      else if (c === '{') depth++;
      else if (c === '}') {
        if (depth === 0) {
          out.push(text.slice(i + 2, j));
          i = j - 1;
          break;
        }
        depth--;
      }
    }
  }
  return out;
}

/** Every string inside a JSON value, rewritten by `f`. */
function mapStrings(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === 'string') return f(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapStrings(v, f)]));
  return value;
}

export function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => strings(v, out));
  return out;
}

/**
 * A stand-in value for a left-out resource's attribute: long, mixed case, digits (passes password
 * rules); for a `tls_` resource (a DKIM key), 44 letters and digits, valid base64; for a `random_id` (a name suffix, such as the S3 buckets'), 8 lower-case hex characters,
 * the form and length of its `hex` at the 4 bytes this project generates, so that the names it ends
 * still pass the provider's checks.
 */
export const standIn = (address: string) =>
  address.startsWith('random_id.')
    ? '0ff11e00'
    : address.startsWith('tls_')
      ? // A key's forms are base64 (SES checks its BYODKIM key is): letters and digits, a multiple of 4 long.
        `Offline0${address.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 44).padEnd(44, 'x')
      : `Offline0${address.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 60).padEnd(32, 'x');

export const OFFLINE_PROVIDER = {
  access_key: 'AKIAOFFLINEVERIFY000',
  secret_key: 'offline-verification-only',
  skip_credentials_validation: true,
  skip_requesting_account_id: true,
  skip_metadata_api_check: 'true',
  skip_region_validation: true,
};

export function offlineCopy(stack: any): OfflineCopy {
  const json = structuredClone(stack);
  delete json.terraform?.backend;
  for (const p of Object.keys(json.terraform?.required_providers ?? {})) if (p !== 'aws') delete json.terraform.required_providers[p];
  const awsProviders = (json.provider?.aws ?? []) as Record<string, unknown>[];
  json.provider = {
    aws: awsProviders.map((p) => ({
      ...Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'allowed_account_ids')),
      ...OFFLINE_PROVIDER,
    })),
  };

  const leftOut: Record<string, number> = {};
  const removed = new Set<string>();
  for (const section of ['resource', 'data'] as const) {
    for (const type of Object.keys(json[section] ?? {})) {
      if (isAws(type)) continue;
      for (const name of Object.keys(json[section][type])) {
        removed.add(`${section === 'data' ? 'data.' : ''}${type}.${name}`);
        leftOut[providerOf(type)] = (leftOut[providerOf(type)] ?? 0) + 1;
      }
      delete json[section][type];
    }
    if (json[section] && Object.keys(json[section]).length === 0) delete json[section];
  }

  let standIns = 0;
  const rewrite = (s: string) =>
    s
      // A whole interpolation that is one reference: the literal stand-in.
      .replace(
        /(?<!\$)\$\{\s*((?:data\.)?[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][\w-]*)((?:\.[A-Za-z_][\w-]*|\[\d+\])*)\s*\}/g,
        (whole, addr: string) => {
          if (!removed.has(addr)) return whole;
          standIns++;
          return standIn(addr);
        },
      )
      // A reference inside a larger expression: a quoted stand-in.
      .replace(REFERENCE, (whole, addr: string) => {
        if (!removed.has(addr)) return whole;
        standIns++;
        return JSON.stringify(standIn(addr));
      });
  for (const section of ['resource', 'data'] as const) {
    for (const byName of Object.values<Record<string, any>>(json[section] ?? {})) {
      for (const [name, body] of Object.entries(byName)) {
        if (Array.isArray(body.depends_on)) {
          body.depends_on = body.depends_on.filter((d: string) => !removed.has(d));
          if (body.depends_on.length === 0) delete body.depends_on;
        }
        byName[name] = mapStrings(body, rewrite);
      }
    }
  }
  for (const [name, output] of Object.entries<any>(json.output ?? {})) {
    if (strings(output).some((s) => [...s.matchAll(REFERENCE)].some((m) => removed.has(m[1]!)))) delete json.output[name];
  }

  // Nothing that is not AWS may be left.
  const known = new Set([...addressesOf(stack)]);
  const left = strings(json)
    .flatMap((s) => referencesIn(s, known))
    .filter((a) => removed.has(a));
  if (left.length > 0) throw new Error(`the offline copy still refers to left-out resources: ${[...new Set(left)].join(', ')}`);
  return { json, leftOut, standIns };
}
