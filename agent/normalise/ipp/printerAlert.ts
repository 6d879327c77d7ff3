/**
 * printer-alert / printer-alert-description (PWG 5100.9 §5.1.1): each value is a semicolon list of
 * `name=value` pairs mirroring one prtAlertTable row, e.g.
 *   code=jam;index=1;severity=critical;training=trained;group=mediaPath;groupindex=2;location=8600;time=126508
 * Parsed leniently: a Xerox firmware prefixes values with `printer-alert[0] = ` (and descriptions with
 * `printer-alert-description[0] = '…'`), HP sends truncated pairs (`severity=otherother`), and
 * `none` means an empty table. A value that cannot be read is reported as malformed, never fatal.
 */
import { cleanText } from '../deviceText.js';

export interface PrinterAlert {
  /** Position in the printer-alert array (0-based), to pair with its description. */
  readonly position: number;
  /** IANA PrtAlertCodeTC name (jam, markerTonerEmpty, …) or the number as text; `unknown` when absent. */
  readonly code: string;
  readonly severity: string | null;
  readonly group: string | null;
  readonly groupIndex: number | null;
  readonly index: number | null;
  readonly location: number | null;
  readonly training: string | null;
  readonly time: number | null;
  readonly description: string;
  /** The value as received (prefix removed), for rawCode and evidence. */
  readonly raw: string;
  /** Why the entry is doubtful although usable (unknown severity word, stray text). */
  readonly problems: readonly string[];
}

export interface MalformedAlert {
  readonly position: number;
  readonly raw: string;
  readonly reason: string;
}

export interface ParsedAlerts {
  readonly alerts: readonly PrinterAlert[];
  readonly malformed: readonly MalformedAlert[];
}

const KNOWN_SEVERITIES = new Set(['other', 'critical', 'warning', 'warningbinarychangeevent']);
const PREFIX = /^\s*printer-alert(?:-description)?\s*\[\s*\d+\s*\]\s*=\s*/i;

export function stripArrayPrefix(value: string): string {
  const stripped = value.replace(PREFIX, '');
  if (stripped === value) return value;
  // The prefixed description is also quoted: '08-600 A paper jam …'
  const quoted = /^'([\s\S]*)'\s*$/.exec(stripped);
  return quoted?.[1] ?? stripped;
}

function integer(value: string | undefined): number | null {
  if (value === undefined || !/^-?\d{1,10}$/.test(value.trim())) return null;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : null;
}

export function parsePrinterAlerts(values: readonly string[], descriptions: readonly string[]): ParsedAlerts {
  const alerts: PrinterAlert[] = [];
  const malformed: MalformedAlert[] = [];
  values.forEach((original, position) => {
    const raw = stripArrayPrefix(original).trim();
    if (raw === '' || raw.toLowerCase() === 'none') return;
    const pairs = new Map<string, string>();
    const problems: string[] = [];
    for (const part of raw.split(';')) {
      if (part.trim() === '') continue;
      const eq = part.indexOf('=');
      if (eq <= 0) {
        problems.push(`stray text '${part.trim().slice(0, 40)}'`);
        continue;
      }
      const key = part.slice(0, eq).trim().toLowerCase();
      if (pairs.has(key)) problems.push(`repeated '${key}'`);
      else pairs.set(key, part.slice(eq + 1).trim());
    }
    const code = pairs.get('code');
    if (code === undefined || code === '') {
      malformed.push({ position, raw: raw.slice(0, 200), reason: 'no code= pair' });
      return;
    }
    let severity = pairs.get('severity') ?? null;
    if (severity !== null && !KNOWN_SEVERITIES.has(severity.toLowerCase())) {
      problems.push(`unknown severity '${severity.slice(0, 40)}'`);
      severity = null;
    }
    const description = cleanText(stripArrayPrefix(descriptions[position] ?? ''));
    alerts.push({
      position,
      code,
      severity,
      group: pairs.get('group') ?? null,
      groupIndex: integer(pairs.get('groupindex')),
      index: integer(pairs.get('index')),
      location: integer(pairs.get('location')),
      training: pairs.get('training') ?? null,
      time: integer(pairs.get('time')),
      description,
      raw: raw.slice(0, 512),
      problems,
    });
    if (problems.length > 0) malformed.push({ position, raw: raw.slice(0, 200), reason: problems.join('; ') });
  });
  return { alerts, malformed };
}
