// Types of timeAgo.js for the Node unit tests (the browser loads the .js file as is).
export declare function relativeParts(thenMs: number, nowMs: number): { value: number; unit: 'day' | 'hour' | 'minute' | 'second' };
export declare function relativeTime(thenMs: number, nowMs: number, locale: string): string;
