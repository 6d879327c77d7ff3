/**
 * One fault per condition: the one fold of every fault list the agent produces (SNMP, IPP, and
 * the SNMP+IPP merge). A device often reports one condition several ways: an error bit or state
 * reason for the whole device ("toner-low"), an alert (sometimes without a usable subunit index),
 * and the supply level itself. Change detection, and after it the server's tickets, must see it
 * once, on the most specific subunit, at the worst severity any source gave it. Pure.
 *
 * Identity is shared/faultIdentity.ts `faultKey` (code + subunit group and index, plus the raw
 * code of `unclassified`); nothing here defines another key.
 */
import { faultKey } from '../../shared/faultIdentity.js';
import type { FaultCode, FaultSeverity } from '../../shared/faults.js';
import type { Fault } from '../../shared/snapshot.js';

const RANK: Readonly<Record<FaultSeverity, number>> = { info: 0, warning: 1, critical: 2 };

export function worseSeverity(a: FaultSeverity, b: FaultSeverity): FaultSeverity {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Generic codes and the specific codes that report the same condition on one supply. */
const COVERED_BY: Readonly<Partial<Record<FaultCode, readonly FaultCode[]>>> = {
  'supply.low': ['toner.low', 'ink.low', 'developer.low', 'staples.low', 'drum.nearEnd', 'supply.low'],
  'supply.empty': ['toner.empty', 'ink.empty', 'staples.empty', 'drum.end', 'supply.empty'],
};

/**
 * How precisely a fault says where it is: 2 = a subunit index (cartridge 3, tray 2), 1 = only a
 * group (the paper path), 0 = the device as a whole (an error bit, a state reason).
 */
function precision(f: Fault): 0 | 1 | 2 {
  if (f.subunit?.index !== undefined && f.subunit.index >= 1) return 2;
  return f.subunit?.group !== undefined ? 1 : 0;
}

/**
 * Whether `general` is the same condition as `specific`, said less precisely: a code the specific
 * one covers, on the whole device or on the same group.
 */
function foldsInto(general: Fault, specific: Fault): boolean {
  if (precision(specific) <= precision(general)) return false;
  if (!(COVERED_BY[general.code] ?? [general.code]).includes(specific.code)) return false;
  // Two unknown alerts are two conditions, wherever they are.
  if (general.code === 'unclassified' && general.rawCode !== specific.rawCode) return false;
  return precision(general) === 0 || general.subunit?.group === specific.subunit?.group;
}

function fromAlert(f: Fault): boolean {
  return f.source === 'prtAlert' || f.source === 'ippAlert';
}

/**
 * Folds duplicates: faults with one key become one; a less precise fault disappears into every
 * more precise fault of the same or a covered code (a device-level "toner low" bit into each low
 * cartridge). The survivor takes the worse severity and, when its own text is only a generic
 * label, the alert's text. Order of first appearance is kept. Idempotent, and the set of keys does
 * not depend on the order of the input.
 */
export function foldFaults(faults: readonly Fault[]): Fault[] {
  const byKey = new Map<string, Fault>();
  for (const f of faults) {
    const key = faultKey(f);
    const seen = byKey.get(key);
    byKey.set(key, seen ? absorb(seen, f) : f);
  }
  const list = [...byKey.values()];
  const result = [...list];
  const dropped = new Set<Fault>();
  for (const general of list) {
    let absorbed = false;
    result.forEach((specific, i) => {
      if (!foldsInto(general, list[i]!)) return;
      result[i] = absorb(specific, general);
      absorbed = true;
    });
    if (absorbed) dropped.add(general);
  }
  return result.filter((_, i) => !dropped.has(list[i]!));
}

function absorb(keep: Fault, other: Fault): Fault {
  const severity = worseSeverity(keep.severity, other.severity);
  const message = !fromAlert(keep) && fromAlert(other) && other.code === keep.code ? other.message : keep.message;
  const subunit =
    keep.subunit && other.subunit && keep.subunit.name === undefined && other.subunit.name !== undefined && sameWhere(keep, other)
      ? { ...keep.subunit, name: other.subunit.name }
      : keep.subunit;
  return { ...keep, severity, message, ...(subunit ? { subunit } : {}) };
}

/** Same group and index (the name is a label, not identity). */
function sameWhere(a: Fault, b: Fault): boolean {
  return a.subunit?.group === b.subunit?.group && a.subunit?.index === b.subunit?.index;
}
