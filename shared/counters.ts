/**
 * The one counter model: what a page counter counts, where it was read and how far to trust it.
 * Pure. The agent's normalisers name counters with it, the server's meters bill from it.
 *
 * A counter key is the dimensions it is restricted to, in a fixed order, dot-separated:
 *
 *   [function][.colour][.size][.sides]      e.g. "print.mono", "copy.color.large", "duplex"
 *
 * A dimension left out means "all of them": "mono" is every monochrome impression, "print" every
 * printed one. "total" is all impressions (prtMarkerLifeCount, printer-impressions-completed).
 * "sheets[.colour]" counts media sheets rather than impressions (IPP
 * printer-media-sheets-completed): a duplex sheet is one sheet and two impressions. Any other key
 * (sincePowerOn, marker2, …) is informational and never billed.
 */
import { z } from 'zod';

export const COUNTER_FUNCTIONS = ['print', 'copy', 'fax', 'scan', 'list'] as const;
export type CounterFunction = (typeof COUNTER_FUNCTIONS)[number];
/** twoColor and singleColor are Sharp's and Konica's reduced-colour modes, billed apart by some contracts. */
export const COUNTER_COLOURS = ['mono', 'color', 'twoColor', 'singleColor'] as const;
export type CounterColour = (typeof COUNTER_COLOURS)[number];
/** small: A4/letter and below; large: A3/ledger, billed with a weight (A3 = 2 × A4 by default). */
export const COUNTER_SIZES = ['small', 'large'] as const;
export type CounterSize = (typeof COUNTER_SIZES)[number];
export const COUNTER_SIDES = ['simplex', 'duplex'] as const;
export type CounterSides = (typeof COUNTER_SIDES)[number];

export interface CounterDimensions {
  /** impressions (the billing unit) or media sheets. */
  readonly measure: 'impressions' | 'sheets';
  readonly function?: CounterFunction;
  readonly colour?: CounterColour;
  readonly size?: CounterSize;
  readonly sides?: CounterSides;
}

const inList = <T extends string>(list: readonly T[], s: string | undefined): s is T => s !== undefined && (list as readonly string[]).includes(s);

/** The dimensions a key stands for, or null for an informational key (never billed). */
export function parseCounterKey(key: string): CounterDimensions | null {
  if (key === 'total') return { measure: 'impressions' };
  const parts = key.split('.');
  let measure: CounterDimensions['measure'] = 'impressions';
  if (parts[0] === 'sheets') {
    measure = 'sheets';
    parts.shift();
    if (parts.length === 0) return { measure };
  }
  const out: { measure: CounterDimensions['measure']; function?: CounterFunction; colour?: CounterColour; size?: CounterSize; sides?: CounterSides } = {
    measure,
  };
  let i = 0;
  if (measure === 'impressions' && inList(COUNTER_FUNCTIONS, parts[i])) out.function = parts[i++] as CounterFunction;
  if (inList(COUNTER_COLOURS, parts[i])) out.colour = parts[i++] as CounterColour;
  if (measure === 'impressions' && inList(COUNTER_SIZES, parts[i])) out.size = parts[i++] as CounterSize;
  if (measure === 'impressions' && inList(COUNTER_SIDES, parts[i])) out.sides = parts[i++] as CounterSides;
  return i === parts.length && i > 0 ? out : null;
}

/** The key of a set of dimensions: the inverse of parseCounterKey. */
export function counterKey(d: CounterDimensions): string {
  const parts: string[] = [d.function, d.colour, d.size, d.sides].filter((p) => p !== undefined);
  if (d.measure === 'sheets') return ['sheets', ...parts].join('.');
  return parts.length === 0 ? 'total' : parts.join('.');
}

/**
 * exact: the device's own counter for exactly this; derived: arithmetic over exact counters of
 * the same reading (total − mono); estimated: not read at that instant (interpolated to a
 * billing cut-off, or typed in by hand without a confirmation).
 */
export const CounterConfidence = z.enum(['exact', 'derived', 'estimated']);
export type CounterConfidence = z.infer<typeof CounterConfidence>;

/**
 * Where a counter was read: the MIB object name and instance ("prtMarkerLifeCount.1.1",
 * "sharpCounterValue.1.4.61"), the IPP attribute ("printer-impressions-completed-col.monochrome"),
 * "derived:<formula>" or "manual".
 */
export const CounterSource = z.string().min(1).max(128);

export const CounterOrigin = z.strictObject({ source: CounterSource, confidence: CounterConfidence });
export type CounterOrigin = z.infer<typeof CounterOrigin>;

/** What made a counter unusable; the value is dropped, the problem reported, nothing billed from it. */
export const CounterProblemKind = z.enum(['notANumber', 'negative', 'outOfRange', 'missingTable']);
export type CounterProblemKind = z.infer<typeof CounterProblemKind>;

export const CounterProblem = z.strictObject({
  source: CounterSource,
  problem: CounterProblemKind,
  /** The value as the device gave it, clipped, for the technician. */
  raw: z.string().max(64).optional(),
});
export type CounterProblem = z.infer<typeof CounterProblem>;

export const COUNTER_KEY_PATTERN = /^[a-zA-Z][a-zA-Z0-9.]{0,63}$/;
const MAX_ORIGINS = 64;

/** Per counter key: its source and confidence; plus what was read but could not be used. */
export const CounterProvenance = z.strictObject({
  origins: z
    .record(z.string().regex(COUNTER_KEY_PATTERN), CounterOrigin)
    .refine((c) => Object.keys(c).length <= MAX_ORIGINS, { message: `at most ${MAX_ORIGINS} counter origins` })
    .meta({ maxProperties: MAX_ORIGINS }),
  problems: z.array(CounterProblem).max(32),
});
export type CounterProvenance = z.infer<typeof CounterProvenance>;

/** A counter read, kept with its origin while normalisers assemble a snapshot. */
export interface CounterReading {
  readonly key: string;
  readonly value: number;
  readonly origin: CounterOrigin;
}

/**
 * Colour totals a device does not report but that follow from what it does: colour = total −
 * mono and mono = total − colour on the same reading; a device with no colour marker prints
 * only mono. Never overrides a counter the device reported.
 */
export function deriveColourTotals(readings: readonly CounterReading[], monochromeDevice: boolean): CounterReading[] {
  const byKey = new Map(readings.map((r) => [r.key, r]));
  const total = byKey.get('total');
  const out = [...readings];
  if (!total) return out;
  const mono = byKey.get('mono');
  const color = byKey.get('color');
  if (mono && !color && mono.value <= total.value) {
    out.push({ key: 'color', value: total.value - mono.value, origin: { source: 'derived:total-mono', confidence: 'derived' } });
  } else if (color && !mono && color.value <= total.value) {
    out.push({ key: 'mono', value: total.value - color.value, origin: { source: 'derived:total-color', confidence: 'derived' } });
  } else if (!mono && !color && monochromeDevice) {
    out.push({ key: 'mono', value: total.value, origin: { source: 'derived:total(mono device)', confidence: 'derived' } });
  }
  return out;
}

/** Splits readings into the snapshot's value map and its provenance; first reading of a key wins. */
export function assembleCounters(
  readings: readonly CounterReading[],
  problems: readonly CounterProblem[],
): { counters: Record<string, number>; provenance: CounterProvenance } {
  const counters: Record<string, number> = {};
  const origins: Record<string, CounterOrigin> = {};
  for (const r of readings) {
    if (r.key in counters || !COUNTER_KEY_PATTERN.test(r.key) || Object.keys(counters).length >= MAX_ORIGINS) continue;
    counters[r.key] = r.value;
    origins[r.key] = r.origin;
  }
  return { counters, provenance: { origins, problems: problems.slice(0, 32) } };
}

/**
 * A raw counter value checked for billing: a safe non-negative integer, or the problem with it.
 * Strings of digits are a problem too: a device that sends its counter as text is misreporting,
 * and the text may carry a unit or a thousands separator nobody checked.
 */
export function checkCounterValue(value: unknown): { ok: true; value: number } | { ok: false; problem: CounterProblemKind; raw: string } {
  const raw = String(value).slice(0, 64);
  if (typeof value === 'bigint') return { ok: false, problem: value < 0n ? 'negative' : 'outOfRange', raw };
  if (typeof value !== 'number' || !Number.isFinite(value) || !Number.isInteger(value)) return { ok: false, problem: 'notANumber', raw };
  if (value < 0) return { ok: false, problem: 'negative', raw };
  if (!Number.isSafeInteger(value)) return { ok: false, problem: 'outOfRange', raw };
  return { ok: true, value };
}

const CONFIDENCE_RANK: Readonly<Record<CounterConfidence, number>> = { exact: 0, derived: 1, estimated: 2 };

export interface CountersWithProvenance {
  readonly counters: Readonly<Record<string, number>>;
  readonly counterProvenance?: CounterProvenance | undefined;
}

/**
 * Two views of one device's counters (SNMP and IPP): per key the surer reading wins, and on a tie
 * `preferred`'s. A counter without provenance (an agent before 0.17) counts as exact.
 */
export function mergeCounters(
  preferred: CountersWithProvenance,
  other: CountersWithProvenance,
): { counters: Record<string, number>; counterProvenance?: CounterProvenance } {
  const rank = (side: CountersWithProvenance, key: string) => CONFIDENCE_RANK[side.counterProvenance?.origins[key]?.confidence ?? 'exact'];
  const counters: Record<string, number> = {};
  const origins: Record<string, CounterOrigin> = {};
  const keys = [...new Set([...Object.keys(preferred.counters), ...Object.keys(other.counters)])].slice(0, MAX_ORIGINS);
  for (const key of keys) {
    const useOther = !(key in preferred.counters) || (key in other.counters && rank(other, key) < rank(preferred, key));
    const side = useOther ? other : preferred;
    counters[key] = side.counters[key]!;
    const origin = side.counterProvenance?.origins[key];
    if (origin) origins[key] = origin;
  }
  if (!preferred.counterProvenance && !other.counterProvenance) return { counters };
  const problems = [...(preferred.counterProvenance?.problems ?? []), ...(other.counterProvenance?.problems ?? [])].slice(0, 32);
  return { counters, counterProvenance: { origins, problems } };
}
