// Types of slaCountdown.js for the Node unit tests (the browser loads the .js file as is).
export declare const FALLBACK_WARNING_MS: number;
export type CountdownState = 'none' | 'ok' | 'warning' | 'breach';
export declare function countdownState(input: {
  now: number;
  deadlineAt: number | null | undefined;
  warnAt?: number | null;
  warned?: boolean;
  breached?: boolean;
  fallbackMs?: number;
}): CountdownState;
