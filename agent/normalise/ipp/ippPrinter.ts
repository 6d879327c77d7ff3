/**
 * The IPP normaliser (pure): decoded Get-Printer-Attributes → DeviceSnapshot, the same shape the
 * SNMP normaliser produces. Nothing here touches the network or the clock: `collectedAt` is given.
 *
 *   printer-state            → status (3 idle, 4 processing → printing, 5 stopped → down;
 *                              idle with a warning or worse → warning)
 *   printer-state-reasons    → faults (stateReasons.ts)
 *   printer-alert(+description) → faults (printerAlert.ts, rules shared with SNMP in alerts.ts)
 *   printer-supply / marker-* → supplies (+ supply faults), printer-input-tray → inputs
 *   identity                 → ippIdentity.ts; counters ← printer-impressions/pages/media-sheets-completed
 */
import { FAULTS } from '../../../shared/faults.js';
import type { DeviceSnapshot, DeviceStatus, Fault, Supply } from '../../../shared/snapshot.js';
import { foldFaults } from '../faultSet.js';
import { DEFAULT_SUPPLY_THRESHOLDS, supplyFaultCode, type SupplyThresholds } from '../supplies.js';
import { quirksFor, vendorByName } from '../vendorQuirks.js';
import { firstInteger, firstString, stringsOf, type IppAttributes } from './ippAttributes.js';
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

function counters(attrs: IppAttributes): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (key: string, attr: string) => {
    const n = firstInteger(attrs, attr);
    if (n !== undefined && n >= 0) out[key] = n;
  };
  put('total', 'printer-impressions-completed');
  put('pages', 'printer-pages-completed');
  put('sheets', 'printer-media-sheets-completed');
  return out;
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
  const reasonFaultList = alerts.faults.length > 0 ? reasonList.filter((f) => !(f.code === 'unclassified' && classifyReason(f.rawCode ?? '').reason.base === 'other')) : reasonList;
  // Specific evidence (supply, alert) first, so folded device-level reasons keep their position last.
  const faults = foldFaults([...supplyFaults(supplies), ...alerts.faults, ...reasonFaultList]).slice(0, 256);

  const snapshot: DeviceSnapshot = {
    address: input.address.slice(0, 512),
    protocols: ['ipp'],
    collectedAt: input.collectedAt,
    identity,
    status: deviceStatus(state, faults, reasons),
    faults,
    supplies,
    inputs,
    counters: counters(attrs),
  };
  return { snapshot, problems };
}
