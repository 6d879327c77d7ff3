// Types of wallTime.js for the Node unit tests (the browser loads the .js file as is).
export declare function zoneOffsetMs(epochMs: number, zone: string): number;
export declare function wallTimeToIso(text: unknown, zone: string): string | null;
export declare function isoToWallTime(value: string | number, zone: string): string;
