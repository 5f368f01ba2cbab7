/**
 * The DNS records services need (`ServiceSpec.dnsRecords`), rendered with their generated values
 * (the DKIM key's public half). A target that manages DNS publishes them (AWS: Route 53); the others
 * print them as the `dns_records` output, to publish where the domain is hosted.
 */
import { Construct, TerraformOutput } from '../providers/cdktf';
import { renderText } from '../spec/template';
import type { DnsRecord, ServiceSpec } from '../spec/types';
import type { GeneratedSecrets } from './secrets';
import { escapeLiteral } from './terraform';

/** A record with its values as Terraform strings. */
export interface RenderedRecord {
  readonly name: string;
  readonly type: DnsRecord['type'];
  readonly values: string[];
  readonly purpose: string;
}

/** Every record of the specs, rendered. */
export function renderRecords(specs: readonly ServiceSpec[], secrets: GeneratedSecrets): RenderedRecord[] {
  const resolve = {
    literal: escapeLiteral,
    secret: (ref: Parameters<GeneratedSecrets['value']>[0]) => secrets.value(ref),
    host: () => {
      throw new Error('a DNS record names no service address');
    },
    self: () => {
      throw new Error('a DNS record names no service address');
    },
    peer: () => {
      throw new Error('a DNS record names no service address');
    },
    member: () => {
      throw new Error('a DNS record names no service address');
    },
  };
  return specs.flatMap((s) =>
    (s.dnsRecords ?? []).map((r) => ({
      name: r.name,
      type: r.type,
      values: r.values.map((v) => renderText(v, resolve)),
      purpose: r.purpose,
    })),
  );
}

/** The `dns_records` output of a target that manages no DNS (nothing when no service needs a record). */
export function dnsRecordsOutput(scope: Construct, specs: readonly ServiceSpec[], secrets: GeneratedSecrets): void {
  const records = renderRecords(specs, secrets);
  if (records.length === 0) return;
  new TerraformOutput(scope, 'dns-records', {
    description: 'DNS records to publish where the mail domain is hosted (terraform output -json dns_records)',
    value: records,
  }).overrideLogicalId('dns_records');
}

/**
 * A TXT value as Route 53 takes it: strings of at most 255 characters (RFC 1035), joined with `""`
 * inside the one record value (the AWS provider's documented form for values longer than 255).
 * `value` may contain Terraform interpolations, which are split too, so a long generated value is
 * cut with Terraform's own functions.
 */
export function route53Txt(value: string): string {
  if (!value.includes('${')) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i += 255) parts.push(value.slice(i, i + 255));
    return parts.join('""');
  }
  // A value with a reference: split at apply, with Terraform's regexall (up to 255 characters each).
  const literal = value.replace(/\$\{[^}]*(\{[^}]*\}[^}]*)*\}/g, '');
  if (/["\\]/.test(literal)) throw new Error(`a TXT value with a reference may not quote or escape: ${value}`);
  return `\${join("\\"\\"", regexall(".{1,255}", "${value}"))}`;
}
