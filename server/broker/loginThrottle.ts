/**
 * Bookkeeping of failed MQTT logins (pure apart from the injected clock). Each wrong password costs
 * the server one scrypt (~130 ms of a CPU core), so failures are limited per remote address and per
 * username within a window (both counted by the API's AuthFailureLimiter); a throttled attempt is
 * refused before any hashing.
 *
 * The limits do not lock out the real agent: the broker lets a token that was verified before
 * (CredentialVerifier's cache) in without asking the throttle.
 *
 * The same bookkeeping aggregates failures for the log: one summary per window instead of one line
 * per failure (a flood of 32 parallel guessers wrote ~800 lines a second before).
 */
import { AuthFailureLimiter } from '../auth/authFailureLimiter.js';

export interface LoginThrottleSettings {
  /** Length of one counting window (ms). */
  readonly windowMs: number;
  /** Failed logins from one address per window before it is refused without a check. */
  readonly maxFailuresPerAddress: number;
  /** Failed logins for one username per window before it is refused without a check. */
  readonly maxFailuresPerUsername: number;
  /** Checks one address may have running at once; parallel guessers beyond it are refused at once. */
  readonly maxPendingPerAddress: number;
  /** Addresses and usernames tracked at most (oldest forgotten first), so a flood of names cannot grow memory. */
  readonly maxTracked: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleSettings = {
  windowMs: 60_000,
  maxFailuresPerAddress: 10,
  maxFailuresPerUsername: 5,
  maxPendingPerAddress: 4,
  maxTracked: 10_000,
};

export type LoginFailureReason = 'bad-credentials' | 'bad-username' | 'anonymous' | 'client-id' | 'throttled' | 'busy';

export type ThrottleDecision = { allowed: true } | { allowed: false; why: string };

/** What the log says about the failures of one window. */
export interface LoginFailureSummary {
  readonly failures: number;
  readonly byReason: Readonly<Partial<Record<LoginFailureReason, number>>>;
  /** The addresses and usernames with the most failures (at most 5 each), with their counts. */
  readonly topAddresses: readonly (readonly [string, number])[];
  readonly topUsernames: readonly (readonly [string, number])[];
}

/** A Map that forgets its oldest entries beyond a size (insertion order; a write moves the key last). */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value!);
}

function top(map: Map<string, number>): (readonly [string, number])[] {
  return [...map.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
}

export class LoginThrottle {
  private readonly byAddress: AuthFailureLimiter;
  private readonly byUsername: AuthFailureLimiter;
  /** Checks running per address: failures are only known once a check ends, parallel tries are counted here. */
  private readonly pending = new Map<string, number>();
  private summaryReasons: Partial<Record<LoginFailureReason, number>> = {};
  private summaryAddresses = new Map<string, number>();
  private summaryUsernames = new Map<string, number>();
  private summaryFailures = 0;

  constructor(
    now: () => number,
    private readonly settings: LoginThrottleSettings = DEFAULT_LOGIN_THROTTLE,
  ) {
    const common = { windowMs: settings.windowMs, maxTracked: settings.maxTracked, now };
    this.byAddress = new AuthFailureLimiter({ ...common, maxFailures: settings.maxFailuresPerAddress });
    this.byUsername = new AuthFailureLimiter({ ...common, maxFailures: settings.maxFailuresPerUsername });
  }

  /** Whether a login from `address` as `username` may be checked at all right now (then call started/finished around the check). */
  check(address: string, username: string | undefined): ThrottleDecision {
    if ((this.pending.get(address) ?? 0) >= this.settings.maxPendingPerAddress) {
      return { allowed: false, why: `${this.settings.maxPendingPerAddress} logins from ${address} are being checked already` };
    }
    if (this.byAddress.retryAfterMs(address) > 0) {
      return { allowed: false, why: `too many failed logins from ${address} in the last ${this.settings.windowMs / 1000} s` };
    }
    if (username !== undefined && this.byUsername.retryAfterMs(username) > 0) {
      return { allowed: false, why: `too many failed logins as ${username} in the last ${this.settings.windowMs / 1000} s` };
    }
    return { allowed: true };
  }

  started(address: string): void {
    this.pending.set(address, (this.pending.get(address) ?? 0) + 1);
  }

  finished(address: string): void {
    const n = (this.pending.get(address) ?? 1) - 1;
    if (n > 0) this.pending.set(address, n);
    else this.pending.delete(address);
  }

  /** Records a refused login (a throttled or busy one counts towards the summary only, not the limits). */
  failed(address: string, username: string | undefined, reason: LoginFailureReason): void {
    const max = this.settings.maxTracked;
    if (reason !== 'throttled' && reason !== 'busy') {
      this.byAddress.recordFailure(address);
      if (username !== undefined) this.byUsername.recordFailure(username);
    }
    this.summaryFailures += 1;
    this.summaryReasons[reason] = (this.summaryReasons[reason] ?? 0) + 1;
    remember(this.summaryAddresses, address, (this.summaryAddresses.get(address) ?? 0) + 1, max);
    if (username !== undefined) remember(this.summaryUsernames, username, (this.summaryUsernames.get(username) ?? 0) + 1, max);
  }

  /** The failures since the last call, then starts a new summary; undefined when there were none. */
  takeSummary(): LoginFailureSummary | undefined {
    if (this.summaryFailures === 0) return undefined;
    const summary: LoginFailureSummary = {
      failures: this.summaryFailures,
      byReason: this.summaryReasons,
      topAddresses: top(this.summaryAddresses),
      topUsernames: top(this.summaryUsernames),
    };
    this.summaryFailures = 0;
    this.summaryReasons = {};
    this.summaryAddresses = new Map();
    this.summaryUsernames = new Map();
    return summary;
  }
}
