/**
 * The words and numbers behind a chart, without the browser: the accessible summary read by
 * screen readers, the rows of the data table shown instead of (or beside) the canvas, and the
 * series colours. Pure, so it is unit-tested from Node (test/unit/dashboard/).
 */

/**
 * Series colours, each at least 3:1 against white (WCAG 1.4.11 for graphics) and distinct in
 * hue and lightness; line charts also vary the dash pattern so colour is never the only cue.
 */
export const PALETTE = ['#0b5cad', '#c2410c', '#1d6b35', '#7b2cbf', '#a3161c', '#00707a', '#7a5c3e', '#55606e'];

/** Impact colours matching the badges (critical red … low grey-blue). */
export const IMPACT_COLOURS = { critical: '#a3161c', high: '#c2410c', medium: '#8a6100', low: '#4f6b85' };

export const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3]];

export function seriesColour(series, index) {
  return series.color ?? PALETTE[index % PALETTE.length];
}

const MAX_SPOKEN = 12;

/**
 * One sentence per series. Bars: "label value" pairs (the first 12, then how many more);
 * lines: point count, first and last instant, minimum, maximum and latest value.
 * `t(key, vars)` translates, `fmtValue(n)` and `fmtX(x)` format numbers and instants.
 */
export function chartSummary(kind, { title, labels = [], series }, { t, fmtValue, fmtX = String }) {
  const parts = [title + '.'];
  if (series.length === 0 || series.every((s) => valuesOf(kind, s).length === 0)) return `${title}. ${t('chart.noData')}`;
  for (const s of series) {
    if (kind === 'bar') {
      const pairs = labels.map((l, i) => [l, s.data[i]]).filter(([, v]) => v !== null && v !== undefined);
      const spoken = pairs
        .slice(0, MAX_SPOKEN)
        .map(([l, v]) => `${l} ${fmtValue(v)}`)
        .join(', ');
      const more = pairs.length > MAX_SPOKEN ? ` ${t('chart.more', { n: pairs.length - MAX_SPOKEN })}` : '';
      parts.push(`${s.label}: ${spoken || t('chart.noData')}${more}.`);
    } else {
      const pts = s.points.filter((p) => p.y !== null && p.y !== undefined);
      if (pts.length === 0) {
        parts.push(`${s.label}: ${t('chart.noData')}.`);
        continue;
      }
      const ys = pts.map((p) => p.y);
      parts.push(
        t('chart.lineSummary', {
          series: s.label,
          n: pts.length,
          from: fmtX(pts[0].x),
          to: fmtX(pts[pts.length - 1].x),
          min: fmtValue(Math.min(...ys)),
          max: fmtValue(Math.max(...ys)),
          last: fmtValue(pts[pts.length - 1].y),
        }),
      );
    }
  }
  return parts.join(' ');
}

function valuesOf(kind, s) {
  return kind === 'bar' ? s.data.filter((v) => v !== null && v !== undefined) : s.points.filter((p) => p.y !== null && p.y !== undefined);
}

/**
 * The data table: header [first column, …series labels], one row per category (bars) or per
 * distinct instant in time order (lines; a series without a point there gets "—").
 */
export function chartTable(kind, { labels = [], series }, { fmtValue, fmtX = String, firstColumn }) {
  const header = [firstColumn, ...series.map((s) => s.label)];
  const cell = (v) => (v === null || v === undefined ? '—' : fmtValue(v));
  if (kind === 'bar') return { header, rows: labels.map((l, i) => [l, ...series.map((s) => cell(s.data[i]))]) };
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const byX = series.map((s) => new Map(s.points.map((p) => [p.x, p.y])));
  return { header, rows: xs.map((x) => [fmtX(x), ...byX.map((m) => cell(m.get(x)))]) };
}

/**
 * The x range of a time chart. A single reading (or readings minutes apart) would otherwise get
 * a range of a few milliseconds, whose ticks Chart.js labels with unrelated times: it is widened
 * to an hour on each side, so the one point sits in the middle under its own time.
 */
export function timeRange(xs) {
  if (xs.length === 0) return { min: undefined, max: undefined };
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  if (hi - lo >= 2 * 3_600_000) return { min: lo, max: hi };
  const mid = (lo + hi) / 2;
  return { min: mid - 3_600_000, max: mid + 3_600_000 };
}
