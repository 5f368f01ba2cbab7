/** IPv4 address and CIDR checks for environment files (zod refinements with precise messages). */
import { z } from 'zod';

export function parseIpv4(value: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(value);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o, i) => o > 255 || String(o) !== m[i + 1])) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export interface Cidr {
  readonly network: number;
  readonly prefix: number;
}

export function parseCidr(value: string): Cidr | string {
  const [address, prefixText, ...rest] = value.split('/');
  if (rest.length > 0 || address === undefined || prefixText === undefined || !/^\d{1,2}$/.test(prefixText)) {
    return `"${value}" is not an IPv4 CIDR block such as 172.28.0.0/16`;
  }
  const ip = parseIpv4(address);
  const prefix = Number(prefixText);
  if (ip === undefined || prefix > 32) return `"${value}" is not an IPv4 CIDR block such as 172.28.0.0/16`;
  const size = 2 ** (32 - prefix);
  if (ip % size !== 0) return `"${value}" has host bits set; the network address is ${formatIpv4(ip - (ip % size))}/${prefix}`;
  return { network: ip, prefix };
}

export function formatIpv4(ip: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(ip / 2 ** shift) % 256).join('.');
}

export function cidrContains(cidr: Cidr, ip: number): boolean {
  const size = 2 ** (32 - cidr.prefix);
  return ip >= cidr.network && ip < cidr.network + size;
}

/** A CIDR block with a prefix length between `min` and `max`. */
export function cidrBlock(min = 8, max = 30) {
  return z.string().superRefine((value, ctx) => {
    const parsed = parseCidr(value);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
    else if (parsed.prefix < min || parsed.prefix > max) {
      ctx.addIssue({ code: 'custom', message: `prefix /${parsed.prefix} is outside /${min}../${max}` });
    }
  });
}

export const ipv4Address = z.string().refine((v) => parseIpv4(v) !== undefined, { message: 'must be an IPv4 address' });
