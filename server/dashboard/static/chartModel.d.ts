// Types of chartModel.js for the Node unit tests (the browser loads the .js file as is).
export interface BarSeries {
  label: string;
  data: ReadonlyArray<number | null>;
  color?: string;
}
export interface LineSeries {
  label: string;
  points: ReadonlyArray<{ x: number; y: number | null }>;
  color?: string;
}
type Translate = (key: string, vars?: Record<string, unknown>) => string;
export declare const PALETTE: readonly string[];
export declare const IMPACT_COLOURS: Readonly<Record<'critical' | 'high' | 'medium' | 'low', string>>;
export declare const DASHES: ReadonlyArray<readonly number[]>;
export declare function seriesColour(series: { color?: string }, index: number): string;
export declare function chartSummary(
  kind: 'bar',
  opts: { title: string; labels: readonly string[]; series: readonly BarSeries[] },
  fmt: { t: Translate; fmtValue: (v: number) => string; fmtX?: (x: number) => string },
): string;
export declare function chartSummary(
  kind: 'line',
  opts: { title: string; series: readonly LineSeries[] },
  fmt: { t: Translate; fmtValue: (v: number) => string; fmtX?: (x: number) => string },
): string;
export declare function chartTable(
  kind: 'bar',
  opts: { labels: readonly string[]; series: readonly BarSeries[] },
  fmt: { fmtValue: (v: number) => string; fmtX?: (x: number) => string; firstColumn: string },
): { header: string[]; rows: string[][] };
export declare function chartTable(
  kind: 'line',
  opts: { series: readonly LineSeries[] },
  fmt: { fmtValue: (v: number) => string; fmtX?: (x: number) => string; firstColumn: string },
): { header: string[]; rows: string[][] };
export declare function timeRange(xs: readonly number[]): { min: number | undefined; max: number | undefined };
