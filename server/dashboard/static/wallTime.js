/**
 * A wall-clock time typed in a form ("2026-12-07T09:30" from <input type="datetime-local">) read
 * in a named IANA zone, as the instant it stands for. The dashboard shows times in the site's
 * zone, so what a dispatcher types ("the customer says it stopped at 9:30") must be read in the
 * same zone, not in the browser's. Pure (Intl only), unit-tested from Node.
 */
const WALL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** The zone's offset from UTC at `epochMs`, in ms (Warsaw in winter: +3 600 000). */
export function zoneOffsetMs(epochMs, zone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(epochMs))
      .filter((p) => p.type !== 'literal')
      .map((p) => [p.type, Number(p.value)]),
  );
  const asUtc = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/**
 * "YYYY-MM-DDTHH:mm" in `zone` → ISO instant (UTC), or null when the text is not such a time.
 * A time skipped by a clock change (02:30 on the spring-forward night) is read with the offset
 * before the change, i.e. one hour later on the new clock, as the zone's own rules would.
 */
export function wallTimeToIso(text, zone) {
  const m = WALL.exec(typeof text === 'string' ? text.trim() : '');
  if (!m) return null;
  const [y, mo, d, hh, mi, ss] = m.slice(1).map((x) => Number(x ?? 0));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || ss > 59) return null;
  const wall = Date.UTC(y, mo - 1, d, hh, mi, ss);
  const check = new Date(wall);
  if (check.getUTCDate() !== d) return null; // 31 February
  const first = wall - zoneOffsetMs(wall, zone);
  const second = wall - zoneOffsetMs(first, zone);
  return new Date(second).toISOString();
}

/** An instant → "YYYY-MM-DDTHH:mm" in `zone` (the value a datetime-local input shows). */
export function isoToWallTime(value, zone) {
  const ms = new Date(value).getTime();
  if (Number.isNaN(ms)) return '';
  return new Date(ms + zoneOffsetMs(ms, zone)).toISOString().slice(0, 16);
}
