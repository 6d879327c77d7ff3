/**
 * The one identity of a fault, from the normaliser to the ticket: (code, subunit).
 *
 * A device reports a condition on a part of itself: toner empty on cartridge 3, a jam in the
 * paper path, tray 2 empty. The code says what, the subunit (Printer-MIB alert group + index,
 * IPP group, supply index) says where. Two faults are the same fault exactly when their keys are
 * equal; everything that remembers a fault (change detection, the fold of SNMP and IPP views,
 * fleet state, tickets) keys it with `faultKey` and nothing else.
 *
 * `unclassified` faults add the device's raw code: two unknown alerts are two conditions.
 * A subunit's `name` is a label, not identity: devices rename supplies between polls.
 */
import type { FaultCode, Language } from './faults.js';
import type { Fault, Subunit } from './snapshot.js';

/** What identifies a fault; every fault shape in the product (snapshot, wire, ticket) has these fields. */
export type FaultIdentity = Pick<Fault, 'code' | 'subunit' | 'rawCode'>;

export function faultKey(fault: FaultIdentity): string {
  const s = fault.subunit;
  const raw = fault.code === 'unclassified' ? `|${fault.rawCode ?? ''}` : '';
  return `${fault.code}|${s?.group ?? ''}|${s?.index ?? ''}${raw}`;
}

export function sameFault(a: FaultIdentity, b: FaultIdentity): boolean {
  return faultKey(a) === faultKey(b);
}

/** The identity alone, without message, severity or the subunit's display name. */
export function faultIdentity(fault: FaultIdentity): { code: FaultCode; subunit?: Subunit; rawCode?: string } {
  const s = fault.subunit;
  const subunit: Subunit | undefined =
    s && (s.group !== undefined || s.index !== undefined)
      ? { ...(s.group !== undefined ? { group: s.group } : {}), ...(s.index !== undefined ? { index: s.index } : {}) }
      : undefined;
  return {
    code: fault.code,
    ...(subunit ? { subunit } : {}),
    ...(fault.code === 'unclassified' && fault.rawCode !== undefined ? { rawCode: fault.rawCode } : {}),
  };
}

/** Printer-MIB alert groups (RFC 3805 PrtAlertGroupTC) and IPP groups a technician recognises. */
const GROUP_LABELS: Readonly<Record<string, { en: string; pl: string }>> = {
  markerSupplies: { en: 'Supply', pl: 'Materiał eksploatacyjny' },
  markerColorant: { en: 'Colorant', pl: 'Barwnik' },
  marker: { en: 'Marker', pl: 'Zespół drukujący' },
  mediaPath: { en: 'Paper path', pl: 'Ścieżka papieru' },
  input: { en: 'Input tray', pl: 'Podajnik' },
  output: { en: 'Output tray', pl: 'Taca odbiorcza' },
  cover: { en: 'Cover', pl: 'Pokrywa' },
  finDevice: { en: 'Finisher', pl: 'Finiszer' },
  finSupply: { en: 'Finisher supply', pl: 'Materiał finiszera' },
  finSupplyMediaInput: { en: 'Finisher input', pl: 'Podajnik finiszera' },
  channel: { en: 'Channel', pl: 'Kanał' },
  interpreter: { en: 'Interpreter', pl: 'Interpreter' },
  console: { en: 'Console', pl: 'Panel' },
  generalPrinter: { en: 'Printer', pl: 'Drukarka' },
};

/**
 * A technician's name for where the fault is: the device's own subunit name when it gave one
 * ("Magenta Cartridge HP 415A"), otherwise the group and index ("Input tray 2"). Null for a
 * device-level fault.
 */
export function subunitLabel(subunit: Subunit | undefined, lang: Language): string | null {
  if (!subunit) return null;
  const name = subunit.name?.trim();
  if (name) return name;
  const group = subunit.group !== undefined ? (GROUP_LABELS[subunit.group]?.[lang] ?? subunit.group) : null;
  if (group === null && subunit.index === undefined) return null;
  if (group === null) return `#${subunit.index}`;
  return subunit.index !== undefined ? `${group} ${subunit.index}` : group;
}
