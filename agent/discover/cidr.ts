/**
 * IPv4 ranges in CIDR form → host addresses (pure). Network and broadcast addresses are left out
 * for prefixes up to /30, as no printer lives there.
 */

export class CidrError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid range ${JSON.stringify(input)}: ${reason}`);
    this.name = 'CidrError';
  }
}

/** Largest range one sweep accepts (a /16): bigger sweeps are almost always a typo. */
export const MAX_HOSTS_PER_RANGE = 65_536;

function ipToInt(ip: string, input: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new CidrError(input, `expected four dotted numbers, found ${JSON.stringify(ip)}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new CidrError(input, `octet ${JSON.stringify(p)} is not 0-255`);
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface CidrRange {
  readonly input: string;
  readonly first: number;
  readonly count: number;
}

/** Parses "10.1.2.0/24" (a bare address means /32). Host bits set in the base are an error. */
export function parseCidr(input: string): CidrRange {
  const text = input.trim();
  const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(text);
  if (!m) throw new CidrError(input, 'expected a.b.c.d/len such as 192.168.1.0/24');
  const bits = m[2] === undefined ? 32 : Number(m[2]);
  if (bits > 32) throw new CidrError(input, `prefix length ${bits} is more than 32`);
  const base = ipToInt(m[1]!, input);
  const size = 2 ** (32 - bits);
  if (base % size !== 0) throw new CidrError(input, `host bits are set; did you mean ${intToIp(base - (base % size))}/${bits}?`);
  if (size > MAX_HOSTS_PER_RANGE)
    throw new CidrError(input, `${size} addresses is more than the ${MAX_HOSTS_PER_RANGE} one sweep allows; split it into /16s or smaller`);
  if (bits <= 30) return { input: text, first: base + 1, count: size - 2 };
  return { input: text, first: base, count: size };
}

/** All host addresses of the ranges, without duplicates, in order. */
export function expandRanges(inputs: readonly string[]): string[] {
  const seen = new Set<number>();
  const out: string[] = [];
  for (const input of inputs) {
    const r = parseCidr(input);
    for (let i = 0; i < r.count; i++) {
      const n = r.first + i;
      if (!seen.has(n)) {
        seen.add(n);
        out.push(intToIp(n));
      }
    }
  }
  return out;
}
