/**
 * Faults from IPP: printer-state-reasons keywords and printer-alert entries (pure).
 *
 * Alerts with a registered IANA code go through the rules shared with SNMP's prtAlertTable
 * (agent/normalise/alerts.ts). Vendors put much of what matters for print heads and ink under
 * `code=other` / `code=unknown` with only a description (HP's camelCase event names such as
 * `nonHPSupplyDetected`, Epson's "feed roller needed soon"); those descriptions are matched here.
 * HP's printer-alert is a history buffer of neutral events (ready, processing, inPowerSave…):
 * those are recognised and raise nothing.
 */
import { FAULTS, type FaultCode, type FaultSeverity } from '../../../shared/faults.js';
import type { Fault, InputTray, Supply } from '../../../shared/snapshot.js';
import { alertCodeName, alertGroupName, classifyAlert, faultFromDescription, inkjetMarkerFault, partName } from '../alerts.js';
import { classifyReason } from './stateReasons.js';
import { parsePrinterAlerts, type MalformedAlert, type PrinterAlert } from './printerAlert.js';

export function reasonFaults(keywords: readonly string[], stateMessage: string | undefined): Fault[] {
  const faults: Fault[] = [];
  for (const keyword of keywords.slice(0, 256)) {
    const c = classifyReason(keyword);
    if (c.code === null) continue;
    const label = FAULTS[c.code].label.en;
    const message = c.unknown ? `${label}: printer-state-reason '${c.reason.keyword}'` : label;
    // The printer's own sentence helps the technician when there is exactly one error condition.
    const withText = stateMessage && c.severity === 'critical' ? `${message}: ${stateMessage}` : message;
    faults.push({ code: c.code, severity: c.severity, source: 'ippStateReason', message: withText.slice(0, 4096), rawCode: c.reason.keyword.slice(0, 512) });
  }
  return faults;
}

/** Neutral events of HP-style alert history buffers (matched on the description, whole word). */
const NEUTRAL_DESCRIPTION =
  /^(ready|idle|processing|printing|inPowerSave|powerSave|sleep(ing)?|cancelJob|canceling|cancelling|memoryCardInserted|memoryCardRemoved|scanProcessing|copyProcessing|faxProcessing|inkSystemReady|printerReadyToPrint|warmingUp|initiali[sz]ing|calibrating|cleaning|jobComplete)$/i;

function severityOf(code: FaultCode, severity: string | null): FaultSeverity {
  if (severity === 'critical') return 'critical';
  if (severity === 'warning' || severity === 'warningBinaryChangeEvent') return 'warning';
  return FAULTS[code].severity;
}

/** What the same poll read of the device's parts, to name the part an alert points at. */
export interface DeviceParts {
  readonly inkjet: boolean;
  readonly supplies?: readonly Supply[];
  readonly inputs?: readonly InputTray[];
}

function vendorAlertFault(alert: PrinterAlert, name: string | null): Fault | null | undefined {
  const description = alert.description;
  if (description === '') return undefined;
  if (NEUTRAL_DESCRIPTION.test(description)) return null;
  const code = faultFromDescription(description);
  if (code !== null) {
    const group = alertGroupName(alert.group);
    return {
      code,
      severity: severityOf(code, alert.severity),
      source: 'ippAlert',
      message: `${FAULTS[code].label.en}: ${description}`.slice(0, 4096),
      ...(group && group !== 'other'
        ? { subunit: { group, ...(alert.groupIndex !== null ? { index: alert.groupIndex } : {}), ...(name ? { name } : {}) } }
        : {}),
      rawCode: `${alert.code}: ${description}`.slice(0, 512),
    };
  }
  return undefined;
}

export interface AlertFaults {
  readonly faults: Fault[];
  readonly malformed: readonly MalformedAlert[];
}

export function alertFaults(values: readonly string[], descriptions: readonly string[], device: DeviceParts = { inkjet: false }): AlertFaults {
  const parts = { supplies: device.supplies ?? [], inputs: device.inputs ?? [] };
  const { alerts, malformed } = parsePrinterAlerts(values, descriptions);
  const faults: Fault[] = [];
  for (const alert of alerts.slice(0, 256)) {
    const name = alertCodeName(alert.code);
    if (name === null || name === 'other' || name === 'unknown') {
      const vendor = vendorAlertFault(alert, partName(alert.group, alert.groupIndex, parts));
      if (vendor === null) continue;
      if (vendor !== undefined) {
        faults.push(vendor);
        continue;
      }
    }
    const fault = classifyAlert({
      code: alert.code,
      group: alert.group,
      groupIndex: alert.groupIndex,
      severity: alert.severity,
      training: alert.training,
      location: alert.location,
      description: alert.description,
      subunitName: partName(alert.group, alert.groupIndex, parts),
      source: 'ippAlert',
    });
    if (fault) faults.push(device.inkjet ? inkjetMarkerFault(fault) : fault);
  }
  return { faults, malformed };
}
