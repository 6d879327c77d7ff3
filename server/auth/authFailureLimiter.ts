/**
 * Rate limiting of failed authentications per client address: after `maxFailures` wrong tokens
 * within `windowMs`, the address is refused (429) until its window ends. Memory is bounded: at
 * most `maxTracked` addresses are remembered, the least recently failing one is forgotten first
 * (an attacker rotating addresses only evicts itself). Pure apart from the injected clock.
 */
export interface AuthFailureLimiterOptions {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly maxTracked: number;
  readonly now: () => number;
}

interface Entry {
  count: number;
  windowStart: number;
}

export class AuthFailureLimiter {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly o: AuthFailureLimiterOptions) {}

  /** Milliseconds until the address may try again, or 0 when it may try now. */
  retryAfterMs(address: string): number {
    const e = this.entries.get(address);
    if (!e) return 0;
    const end = e.windowStart + this.o.windowMs;
    const now = this.o.now();
    if (now >= end) {
      this.entries.delete(address);
      return 0;
    }
    return e.count >= this.o.maxFailures ? end - now : 0;
  }

  recordFailure(address: string): void {
    const now = this.o.now();
    const e = this.entries.get(address);
    this.entries.delete(address);
    const next = e && now < e.windowStart + this.o.windowMs ? { count: e.count + 1, windowStart: e.windowStart } : { count: 1, windowStart: now };
    this.entries.set(address, next);
    while (this.entries.size > this.o.maxTracked) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get tracked(): number {
    return this.entries.size;
  }
}
