// Types of serviceRecordModel.js for the Node unit tests (the browser loads the .js file as is).
export declare function ticketOutcomeKey(ticket: { status: string; resolution: string | null }): string;
export declare function faultMonths(
  rows: Array<{ month: string; jams: number; byCode: Record<string, number> }>,
): Array<{ month: string; jams: number; other: number; codes: Array<[string, number]> }>;
export declare function yieldPercent(cartridge: { yieldShare: number | null }): number | null;
export declare function cartridgesNewestFirst<T extends { supplyIndex: number; since: string }>(cartridges: T[]): T[];
export declare function splitEvents<T extends { at: string; kind: string }>(events: T[]): { firmware: T[]; identity: T[] };
