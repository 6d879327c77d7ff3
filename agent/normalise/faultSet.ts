/**
 * One fault per condition. A device often reports the same condition several ways: a state
 * reason or error bit for the whole device ("toner-low"), an alert (sometimes without a usable
 * subunit index), and the supply level itself. Tickets and events must see it once, on the most
 * specific subunit, at the worst severity any source gave it. Pure; used by the IPP normaliser and
 * by the SNMP+IPP merge.
 */
import type { FaultCode, FaultSeverity } from '../../shared/faults.js';
import type { Fault } from '../../shared/snapshot.js';

const RANK: Readonly<Record<FaultSeverity, number>> = { info: 0, warning: 1, critical: 2 };

export function worseSeverity(a: FaultSeverity, b: FaultSeverity): FaultSeverity {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The change detector's key (agent/diff/changeDetection.ts faultKey), plus the raw code for
 * `unclassified`: two different unknown keywords are two conditions, not one.
 */
export function conditionKey(fault: Pick<Fault, 'code' | 'subunit' | 'rawCode'>): string {
  const s = fault.subunit;
  const raw = fault.code === 'unclassified' ? `|${fault.rawCode ?? ''}` : '';
  return `${fault.code}|${s?.group ?? ''}|${s?.index ?? ''}${raw}`;
}

/** Generic device-level codes and the specific codes that report the same condition on one supply. */
const COVERED_BY: Readonly<Partial<Record<FaultCode, readonly FaultCode[]>>> = {
  'supply.low': ['toner.low', 'ink.low', 'developer.low', 'staples.low', 'drum.nearEnd', 'supply.low'],
  'supply.empty': ['toner.empty', 'ink.empty', 'staples.empty', 'drum.end', 'supply.empty'],
};

function isSpecific(f: Fault): boolean {
  return f.subunit?.index !== undefined && f.subunit.index >= 1;
}

function fromAlert(f: Fault): boolean {
  return f.source === 'prtAlert' || f.source === 'ippAlert';
}

/**
 * Folds duplicates: exact duplicates (same condition key) become one; a device-level fault (no
 * usable subunit index) disappears into the specific faults of the same or a covered code. The
 * survivor takes the worse severity and, if it has only a generic label, the alert's own text.
 * Order of first appearance is kept.
 */
export function foldFaults(faults: readonly Fault[]): Fault[] {
  const byKey = new Map<string, Fault>();
  for (const f of faults) {
    const key = conditionKey(f);
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, f);
    else byKey.set(key, absorb(seen, f));
  }
  const list = [...byKey.values()];
  const dropped = new Set<Fault>();
  const result = [...list];
  for (const general of list) {
    if (isSpecific(general)) continue;
    const codes = COVERED_BY[general.code] ?? [general.code];
    let absorbed = false;
    result.forEach((specific, i) => {
      if (specific === general || !isSpecific(specific) || !codes.includes(specific.code)) return;
      result[i] = absorb(specific, general);
      absorbed = true;
    });
    if (absorbed) dropped.add(general);
  }
  return result.filter((f) => !dropped.has(f));
}

function absorb(keep: Fault, other: Fault): Fault {
  const severity = worseSeverity(keep.severity, other.severity);
  const message = !fromAlert(keep) && fromAlert(other) && other.code === keep.code ? other.message : keep.message;
  return { ...keep, severity, message };
}
