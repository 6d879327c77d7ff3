/**
 * Network addresses in configuration files (pure), checked when the file is loaded so that
 * `fleetdesk config check` reports them with file:line instead of the program failing at run time.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';

/**
 * A zod refinement that reports the expected form and what `problem` says is wrong (the loader
 * prints "<path>: expected <message>, found <value>").
 */
function reportProblem(form: string, problem: (value: string) => string | undefined): (value: string, ctx: z.RefinementCtx) => void {
  return (value, ctx) => {
    const why = problem(value);
    if (why) ctx.addIssue({ code: 'custom', message: `${form} (${why})`, input: value });
  };
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/;

/** Why `host` is not an IPv4 address, IPv6 address or host name; undefined when it is one. */
export function hostProblem(host: string): string | undefined {
  // All digits and dots reads as an IPv4 address to people and resolvers alike: it must be one.
  if (/^[0-9.]+$/.test(host)) return isIPv4(host) ? undefined : `${host} is not an IPv4 address (four numbers 0-255)`;
  if (host.includes(':')) return isIPv6(host) ? undefined : `${host} is not an IPv6 address`;
  return HOSTNAME.test(host) ? undefined : `${host} is not a host name`;
}

/** A host to listen on or connect to: IPv4, IPv6 or a host name. */
export const Host = z.string().min(1).max(255).superRefine(reportProblem('an IPv4 address, IPv6 address or host name', hostProblem));

/** "host:port" or "[ipv6]:port" to listen on → parts, or why not. The port is 1-65535, or 0 for any free port. */
export function parseHostPort(text: string): { host: string; port: number } | { error: string } {
  const m = /^(\[[^\]]+\]|[^:[\]]+):(\d+)$/.exec(text.trim());
  if (!m) return { error: `${JSON.stringify(text)} is not host:port such as 127.0.0.1:9464 or [::1]:9464` };
  const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
  const port = Number(m[2]);
  const bad = hostProblem(host);
  if (bad) return { error: bad };
  if (port > 65535) return { error: `port ${m[2]} is outside 1-65535 (or 0: any free port)` };
  return { host, port };
}

/** A listen address "host:port" (agent health, SNMP traps); port 0 = any free port. */
export const HostPort = z.string().superRefine(
  reportProblem('host:port', (t) => {
    const r = parseHostPort(t);
    return 'error' in r ? r.error : undefined;
  }),
);

/** Discovery sweeps more than this many addresses are refused: /16 at the widest (65,536 addresses). */
export const WIDEST_PREFIX = 16;

/** Why `text` is not an IPv4 range the agent may sweep; undefined when it is one. */
export function cidrProblem(text: string): string | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return `${JSON.stringify(text)} is not address/prefix`;
  if (!isIPv4(m[1]!)) return `${m[1]} is not an IPv4 address (four numbers 0-255)`;
  const prefix = Number(m[2]);
  if (prefix > 32) return `prefix /${prefix} is longer than /32`;
  if (prefix < WIDEST_PREFIX) return `prefix /${prefix} covers ${2 ** (32 - prefix)} addresses; the widest range swept is /${WIDEST_PREFIX} (65,536 addresses)`;
  return undefined;
}

export const Ipv4Cidr = z.string().superRefine(reportProblem('an IPv4 range in CIDR form such as 10.1.2.0/24', cidrProblem));

/** True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIPv4(host) && host.startsWith('127.'));
}
