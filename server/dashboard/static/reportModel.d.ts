// Types of reportModel.js for the Node unit tests (the browser loads the .js file as is).
export type Impact = 'critical' | 'high' | 'medium' | 'low';
export interface ComplianceRowLike {
  customerId: string;
  month: string;
  tickets: number;
  met: number;
  breached: number;
  pending: number;
  notGuaranteed: number;
  breachedByImpact?: Partial<Record<Impact, number>>;
}
export declare const IMPACTS: readonly Impact[];
export declare function isMonth(s: unknown): boolean;
export declare function monthOf(date: Date, delta?: number): string;
export declare function monthRange(since: string, until: string, max?: number): string[];
export declare function complianceSeries(
  rows: readonly ComplianceRowLike[],
  months: readonly string[],
  nameOf?: (id: string) => string,
): Array<{ label: string; data: Array<number | null> }>;
export declare function breachSeries(
  rows: readonly ComplianceRowLike[],
  months: readonly string[],
  labelOf?: (i: Impact) => string,
): Array<{ impact: Impact; label: string; data: number[] }>;
export declare function totals(rows: readonly ComplianceRowLike[]): {
  tickets: number;
  met: number;
  breached: number;
  pending: number;
  notGuaranteed: number;
  compliancePercent: number | null;
};
