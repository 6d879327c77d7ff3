/**
 * The IPP normaliser (pure): decoded Get-Printer-Attributes → DeviceSnapshot, the same shape the
 * SNMP normaliser produces. Nothing here touches the network or the clock: `collectedAt` is given.
 *
 *   printer-state            → status (3 idle, 4 processing → printing, 5 stopped → down;
 *                              idle with a warning or worse → warning)
 *   printer-state-reasons    → faults (stateReasons.ts)
 *   printer-alert(+description) → faults (printerAlert.ts, rules shared with SNMP in alerts.ts)
 *   printer-supply / marker-* → supplies (+ supply faults), printer-input-tray → inputs
 *   identity                 → ippIdentity.ts; counters ← printer-impressions/pages/media-sheets-completed(-col)
 */
import { FAULTS } from '../../../shared/faults.js';
import type { DeviceSnapshot, DeviceStatus, Fault, Supply } from '../../../shared/snapshot.js';
import { foldFaults } from '../faultSet.js';
import { DEFAULT_SUPPLY_THRESHOLDS, supplyFaultCode, type SupplyThresholds } from '../supplies.js';
import { quirksFor, vendorByName } from '../vendorQuirks.js';
import { firstInteger, firstString, stringsOf, type IppAttributes } from './ippAttributes.js';
import type { IppValue } from '../../collect/ipp/ippMessage.js';
import {
  assembleCounters,
  checkCounterValue,
  deriveColourTotals,
  type CounterProblem,
  type CounterProvenance,
  type CounterReading,
} from '../../../shared/counters.js';
import { alertFaults, reasonFaults } from './ippFaults.js';
import { ippIdentity } from './ippIdentity.js';
import { ippInputTrays } from './ippInputTrays.js';
import { ippSupplies } from './ippSupplies.js';
import { classifyReason } from './stateReasons.js';

export interface IppNormaliseInput {
  /** The printer URI polled (ipp://host:port/path). */
  readonly address: string;
  /** ISO timestamp of the poll (injected time). */
  readonly collectedAt: string;
  readonly attributes: IppAttributes;
}

export interface IppNormaliseOptions {
  readonly thresholds?: SupplyThresholds;
}

export interface IppNormalised {
  readonly snapshot: DeviceSnapshot;
  /** What was odd but not fatal (malformed alerts, missing attributes), for logs and `probe`. */
  readonly problems: readonly string[];
}

const PRINTER_STATE: Readonly<Record<number, DeviceStatus>> = { 3: 'idle', 4: 'printing', 5: 'down' };

function supplyFaults(supplies: readonly Supply[]): Fault[] {
  const faults: Fault[] = [];
  for (const s of supplies) {
    const code = supplyFaultCode(s.kind, s.state);
    if (code === null) continue;
    const level = s.levelPercent !== null ? ` (${s.levelPercent} %)` : '';
    faults.push({
      code,
      severity: FAULTS[code].severity,
      source: 'supply',
      message: `${FAULTS[code].label.en}: ${s.name}${level}`.slice(0, 4096),
      subunit: { group: 'markerSupplies', index: s.index, name: s.name },
    });
  }
  return faults;
}

/**
 * Members of printer-impressions-completed-col and printer-media-sheets-completed-col (PWG
 * 5100.22, the member names of job-impressions-col): each a subset of the total; "-two-sided"
 * members are the two-sided part of their colour. Blank impressions are not billed.
 */
const COLLECTION_MEMBERS: Readonly<Record<string, string>> = {
  monochrome: 'mono',
  'full-color': 'color',
  'highlight-color': 'twoColor',
  'monochrome-two-sided': 'mono.duplex',
  'full-color-two-sided': 'color.duplex',
  'highlight-color-two-sided': 'twoColor.duplex',
};

function counters(attrs: IppAttributes): { counters: Record<string, number>; provenance: CounterProvenance } {
  const readings: CounterReading[] = [];
  const problems: CounterProblem[] = [];
  const put = (key: string, source: string, value: IppValue | undefined) => {
    if (!value || value.kind === 'outOfBand') return;
    const checked = checkCounterValue(value.kind === 'integer' ? value.value : value.kind === 'string' ? value.value : value.kind);
    if (checked.ok) readings.push({ key, value: checked.value, origin: { source, confidence: 'exact' } });
    else problems.push({ source, problem: checked.problem, raw: checked.raw });
  };
  const first = (name: string) => attrs.get(name)?.values[0];
  const collection = (name: string, prefix: string) => {
    const v = first(name);
    if (v?.kind !== 'collection') return;
    for (const m of v.members) {
      const key = COLLECTION_MEMBERS[m.name];
      // sheets have no sides: a duplex sheet is one sheet
      if (key && !(prefix && key.endsWith('.duplex'))) put(prefix ? `${prefix}.${key}` : key, `${name}.${m.name}`, m.values[0]);
    }
  };
  put('total', 'printer-impressions-completed', first('printer-impressions-completed'));
  collection('printer-impressions-completed-col', '');
  put('sheets', 'printer-media-sheets-completed', first('printer-media-sheets-completed'));
  collection('printer-media-sheets-completed-col', 'sheets');
  put('pages', 'printer-pages-completed', first('printer-pages-completed'));
  const assembled = assembleCounters(deriveColourTotals(readings, false), problems);
  return { counters: assembled.counters, provenance: assembled.provenance };
}

function deviceStatus(state: number | undefined, faults: readonly Fault[], reasons: readonly string[]): DeviceStatus {
  const base = state === undefined ? 'unknown' : (PRINTER_STATE[state] ?? 'unknown');
  if (base === 'idle') {
    if (reasons.some((r) => /(^|-)warming-up$|^power-up/.test(classifyReason(r).reason.base))) return 'warmup';
    if (faults.some((f) => f.severity !== 'info')) return 'warning';
  }
  return base;
}

export function normaliseIpp(input: IppNormaliseInput, options: IppNormaliseOptions = {}): IppNormalised {
  const attrs = input.attributes;
  const problems: string[] = [];
  const thresholds = options.thresholds ?? DEFAULT_SUPPLY_THRESHOLDS;

  const identity = ippIdentity(attrs);
  const quirks = quirksFor(vendorByName(identity.vendor ?? firstString(attrs, 'printer-make-and-model')));

  const reasons = stringsOf(attrs, 'printer-state-reasons').filter((r): r is string => r !== null);
  const stateMessage = firstString(attrs, 'printer-state-message')?.trim() || undefined;
  const state = firstInteger(attrs, 'printer-state');
  if (state === undefined) problems.push('printer-state missing: status unknown');

  const reasonList = reasonFaults(reasons, stateMessage);
  const wasteReportedFull = reasonList.some((f) => f.code === 'waste.nearFull' || f.code === 'waste.full');
  const supplies = ippSupplies(attrs, { thresholds, quirks, wasteReportedFull });
  const inputs = ippInputTrays(attrs, thresholds.lowPercent);

  const alertValues = stringsOf(attrs, 'printer-alert').map((v) => v ?? '');
  const alertDescriptions = stringsOf(attrs, 'printer-alert-description').map((v) => v ?? '');
  const alerts = alertFaults(alertValues, alertDescriptions, { inkjet: supplies.some((x) => x.kind === 'ink' || x.kind === 'printhead'), supplies, inputs });
  for (const m of alerts.malformed) problems.push(`printer-alert[${m.position}] malformed (${m.reason}): '${m.raw}'`);

  // The reason `other` (RFC 8011: "an error other than one listed") names nothing by itself; when
  // the printer's alerts say what it is, they are that condition (a "Service requested" alert
  // beside other-warning is one service request, not a service request and an unclassified twin).
  const reasonFaultList =
    alerts.faults.length > 0 ? reasonList.filter((f) => !(f.code === 'unclassified' && classifyReason(f.rawCode ?? '').reason.base === 'other')) : reasonList;
  // Specific evidence (supply, alert) first, so folded device-level reasons keep their position last.
  const faults = foldFaults([...supplyFaults(supplies), ...alerts.faults, ...reasonFaultList]).slice(0, 256);

  const meter = counters(attrs);
  const snapshot: DeviceSnapshot = {
    address: input.address.slice(0, 512),
    protocols: ['ipp'],
    collectedAt: input.collectedAt,
    identity,
    status: deviceStatus(state, faults, reasons),
    faults,
    supplies,
    inputs,
    counters: meter.counters,
    // Nothing read, nothing wrong: no provenance (the shape of a device without counters is unchanged).
    ...(Object.keys(meter.counters).length > 0 || meter.provenance.problems.length > 0 ? { counterProvenance: meter.provenance } : {}),
  };
  return { snapshot, problems };
}
