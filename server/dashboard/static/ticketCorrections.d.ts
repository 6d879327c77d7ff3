// Types of ticketCorrections.js for the Node unit tests (the browser loads the .js file as is).
export type CorrectionId = 'impact' | 'contract' | 'queue' | 'device' | 'customer';
export declare const CORRECTIONS: Readonly<Record<CorrectionId, { path: string; field: string }>>;
export declare function availableCorrections(ticket: { status: string }, me: { role: string; name: string } | null): CorrectionId[];
export declare function correctionBody(id: CorrectionId, values: Record<string, string | undefined>): Record<string, unknown>;
export declare function currentValue(id: CorrectionId, ticket: unknown): string;
