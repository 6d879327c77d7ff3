/**
 * Time is injected. The functional core takes `now` as a value; the imperative shell takes a
 * Clock so that tests can drive it (see test/harness/manualClock.ts).
 */
export interface TimerHandle {
  readonly id: number | object;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return { id: t };
  },
  clearTimeout: (handle) => clearTimeout(handle.id as NodeJS.Timeout),
};
