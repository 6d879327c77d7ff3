/**
 * Supply forecasts as the dashboard shows them, pure (no DOM, no fetch): the phrase ("runs out in
 * 6 days", "4–9 days", "not enough data yet"), how urgent it is, the most urgent supply of a device
 * for the fleet list, and the level history as chart series. Forecast objects are the API's
 * SupplyForecast (server/api/historyRoutes.ts).
 */

/** Plural form of a count for the language ("one" or "other"; Polish 2–4 and 5+ both say "dni"). */
export function pluralForm(n, locale) {
  return new Intl.PluralRules(locale).select(n) === 'one' ? 'one' : 'other';
}

/** 'due' (already empty/full, or may run out within a week), 'soon' (two weeks), 'ok', 'unknown'. */
export function urgency(f) {
  if (!f) return 'unknown';
  if (f.status === 'reached') return 'due';
  if (f.status !== 'forecast') return f.status === 'distant' ? 'ok' : 'unknown';
  const low = f.daysLeftLow ?? f.daysLeft;
  if (low === null || low === undefined) return 'unknown';
  if (low <= 7) return 'due';
  if (low <= 14) return 'soon';
  return 'ok';
}

/**
 * The phrase of a forecast: { key, vars } for t(), plus the range phrase (or null).
 * Days are whole calendar days from now: the estimate rounded, the range widened outwards.
 */
export function forecastPhrase(f, locale) {
  if (!f) return { key: 'forecast.none', vars: {}, range: null };
  switch (f.status) {
    case 'reached':
      return { key: f.target === 'full' ? 'forecast.reachedFull' : 'forecast.reachedEmpty', vars: { at: f.runsOutAt }, range: null };
    case 'distant':
      return { key: 'forecast.distant', vars: {}, range: null };
    case 'notEnoughData':
      return { key: 'forecast.notEnoughData', vars: { reason: f.reason ?? '' }, range: null };
    case 'forecast': {
      const days = Math.max(0, Math.round(f.daysLeft ?? 0));
      const low = Math.max(0, Math.floor(f.daysLeftLow ?? days));
      const high = f.daysLeftHigh === null || f.daysLeftHigh === undefined ? null : Math.max(low, Math.ceil(f.daysLeftHigh));
      const base = f.target === 'full' ? 'forecast.fullIn' : 'forecast.runsOutIn';
      const key = days === 0 ? `${base}.today` : `${base}.${pluralForm(days, locale)}`;
      const range = high === null ? { key: 'forecast.rangeOpen', vars: { low } } : { key: `forecast.range.${pluralForm(high, locale)}`, vars: { low, high } };
      return { key, vars: { days, date: f.date ?? '' }, range };
    }
    default:
      return { key: 'forecast.none', vars: {}, range: null };
  }
}

const RANK = { due: 0, soon: 1, ok: 2, unknown: 3 };

/** The most urgent forecast of a device (for the fleet list), or null without any. */
export function soonest(forecasts) {
  let best = null;
  for (const f of forecasts ?? []) {
    if (!best) {
      best = f;
      continue;
    }
    const a = RANK[urgency(f)];
    const b = RANK[urgency(best)];
    const when = (x) => (x.status === 'reached' ? -1 : x.status === 'forecast' ? (x.daysLeftLow ?? x.daysLeft ?? Infinity) : Infinity);
    if (a < b || (a === b && when(f) < when(best))) best = f;
  }
  return best;
}

const TONER = { black: '#1f1f1f', cyan: '#00a0d6', magenta: '#d1007a', yellow: '#f2c200' };

/** Chart series of a device history: one line per supply, x = epoch ms, y = level % (null where the device gave no number). */
export function levelSeries(history) {
  return (history?.supplies ?? []).map((s) => {
    const colour = s.color ? TONER[String(s.color).toLowerCase()] : undefined;
    return {
      label: s.partNumber ? `${s.name} (${s.partNumber})` : s.name,
      ...(colour ? { color: colour } : {}),
      points: s.points.map((p) => ({ x: Date.parse(p.at), y: p.levelPercent })),
    };
  });
}

/** Page counter series (one per counter name). */
export function counterSeries(history) {
  const byName = new Map();
  for (const p of history?.counters?.points ?? []) {
    for (const [name, value] of Object.entries(p.values)) {
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name).push({ x: Date.parse(p.at), y: value });
    }
  }
  return [...byName.entries()].map(([label, points]) => ({ label, points }));
}
