/**
 * The `ipp` package (2.0.1) writes to the console on out-of-band values and unknown attributes.
 * Its calls are synchronous, so redirecting the console for the duration of one call catches
 * exactly its output and nothing else: the collector turns it into errors, the simulator into
 * log lines, and the user's terminal never sees it.
 */
export function withConsoleCaptured<T>(onOutput: (line: string) => void, fn: () => T): T {
  const saved = { log: console.log, error: console.error, warn: console.warn };
  const capture = (...args: unknown[]) => onOutput(args.map(String).join(' '));
  console.log = capture;
  console.error = capture;
  console.warn = capture;
  try {
    return fn();
  } finally {
    Object.assign(console, saved);
  }
}
