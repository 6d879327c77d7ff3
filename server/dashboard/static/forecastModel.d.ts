// Types of forecastModel.js for the Node unit tests (the browser loads the .js file as is).
export interface ForecastLike {
  status: 'forecast' | 'reached' | 'distant' | 'notEnoughData';
  target: 'empty' | 'full';
  runsOutAt?: string | null;
  date?: string | null;
  daysLeft?: number | null;
  daysLeftLow?: number | null;
  daysLeftHigh?: number | null;
  reason?: string | null;
}
export interface Phrase {
  key: string;
  vars: Record<string, unknown>;
}
export declare function pluralForm(n: number, locale: string): 'one' | 'other';
export declare function urgency(f: ForecastLike | null | undefined): 'due' | 'soon' | 'ok' | 'unknown';
export declare function forecastPhrase(f: ForecastLike | null | undefined, locale: string): Phrase & { range: Phrase | null };
export declare function soonest<T extends ForecastLike>(forecasts: readonly T[] | null | undefined): T | null;
export declare function levelSeries(
  history: {
    supplies: ReadonlyArray<{
      name: string;
      partNumber: string | null;
      color: string | null;
      points: ReadonlyArray<{ at: string; levelPercent: number | null }>;
    }>;
  } | null,
): Array<{ label: string; color?: string; points: Array<{ x: number; y: number | null }> }>;
export declare function counterSeries(
  history: { counters: { points: ReadonlyArray<{ at: string; values: Record<string, number> }> } } | null,
): Array<{ label: string; points: Array<{ x: number; y: number }> }>;
