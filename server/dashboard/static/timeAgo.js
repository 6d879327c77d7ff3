/**
 * "3 minutes ago" / "3 minuty temu" (pure, unit-tested from Node): the largest unit that keeps
 * the number small, through Intl.RelativeTimeFormat of the language's locale.
 */
const UNITS = [
  ['day', 86_400_000, 2 * 86_400_000],
  ['hour', 3_600_000, 2 * 3_600_000],
  ['minute', 60_000, 60_000],
];

export function relativeParts(thenMs, nowMs) {
  const delta = thenMs - nowMs;
  const abs = Math.abs(delta);
  for (const [unit, size, from] of UNITS) if (abs >= from) return { value: Math.trunc(delta / size), unit };
  return { value: Math.trunc(delta / 1000), unit: 'second' };
}

export function relativeTime(thenMs, nowMs, locale) {
  const { value, unit } = relativeParts(thenMs, nowMs);
  return new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(value, unit);
}
