/**
 * The protocol-neutral simulated printer: identity, operating mode, active conditions, supplies,
 * trays and counters. The SNMP view (snmpView.ts) and the IPP view (ippView.ts) are both
 * rendered from one DeviceState, so the two protocols always tell the same story, including
 * while a scenario changes things.
 */
import { HR_PRINTER_ERROR_BITS, type HrPrinterErrorBit } from '../../mibs/oids.generated.js';
import type { MibRow } from './mibTable.js';

/** A device condition: every hrPrinterDetectedErrorState bit, plus faults that have no bit. */
export const CONDITIONS = [...HR_PRINTER_ERROR_BITS, 'printheadFault'] as const;
export type ConditionName = HrPrinterErrorBit | 'printheadFault';

export function isConditionName(value: string): value is ConditionName {
  return (CONDITIONS as readonly string[]).includes(value);
}

/** Supply families the simulator reasons about; derived from the Printer-MIB supply type. */
export type SupplyFamily = 'toner' | 'ink' | 'waste' | 'drum' | 'developer' | 'staples' | 'other';

export interface SimSupply {
  /** prtMarkerSuppliesIndex (second index; the first is hrDeviceIndex). */
  readonly index: number;
  readonly description: string;
  /** PrtMarkerSuppliesClassTC; null when the device does not report the column. */
  readonly class: number | null;
  /** PrtMarkerSuppliesTypeTC; null when not reported. */
  readonly type: number | null;
  /** PrtMarkerSuppliesSupplyUnitTC; null when not reported. */
  readonly unit: number | null;
  /** Max capacity; may be -1 (no restriction) or -2 (unknown). */
  readonly max: number;
  /** Level; for receptacles the remaining space (RFC 3805). May be -1/-2/-3. */
  readonly level: number;
  /** Colorant name (prtMarkerColorantValue / IPP colorantname), e.g. "black"; null when none. */
  readonly color: string | null;
  readonly family: SupplyFamily;
  /** True for receptacles (waste): level counts the space left, not the contents. */
  readonly receptacle: boolean;
}

export interface SimTray {
  readonly index: number;
  readonly name: string;
  readonly mediaName: string;
  readonly max: number;
  readonly level: number;
}

export interface SimIdentity {
  /** Manufacturer as IPP device-id MFG and make-and-model start. */
  readonly manufacturer: string;
  readonly model: string;
  readonly sysDescr: string;
  readonly sysObjectId: string;
  readonly sysName: string;
  readonly sysLocation: string;
  readonly sysContact: string;
  readonly serial: string;
  readonly firmware: string;
  /** urn:uuid:… (stable per device id). */
  readonly uuid: string;
  /** aa:bb:cc:dd:ee:ff */
  readonly mac: string;
  /** IPP printer-device-id command set, e.g. "PCL,PJL,POSTSCRIPT". */
  readonly commandSet: string;
}

export type PrinterMode = 'idle' | 'printing' | 'warmup';

/** The device as a scenario leaves it at one instant: plain data, no behaviour. */
export interface DeviceState {
  readonly id: string;
  /** Built-in model name or "snmprec:<file>". */
  readonly model: string;
  readonly identity: SimIdentity;
  readonly mode: PrinterMode;
  /** Conditions raised explicitly (by the model, the recording or a scenario), with when they started (ms since start). */
  readonly conditions: ReadonlyMap<ConditionName, number>;
  readonly supplies: readonly SimSupply[];
  readonly trays: readonly SimTray[];
  /** Lifetime impressions. */
  readonly pageCount: number;
  /**
   * What the device prints: counter key (shared/counters.ts) → share of pageCount, so every
   * counter advances as the device prints. pageCounters.ts turns it into the SNMP vendor table
   * (agent/normalise/counterProfiles.ts rows of its vendor) and the IPP impression and sheet counters.
   */
  readonly counterShares?: Readonly<Record<string, number>>;
  /** Device does not answer (any protocol) while true. */
  readonly silent: boolean;
  /** Synthetic devices raise supply faults from levels; recordings keep their recorded error state. */
  readonly deriveSupplyConditions: boolean;
  /** Vendor rendering quirks, each applied in the SNMP view. */
  readonly quirks: { readonly ricohLevels?: boolean };
  /** Alerts raised since start (prtAlertAllEvents) and how many were critical. */
  readonly alertEvents: { readonly all: number; readonly critical: number };
  /** For recordings: the recorded rows, over which the model's rows are laid. */
  readonly recording?: Recording;
}

export interface Recording {
  readonly file: string;
  readonly rows: readonly MibRow[];
  /** Which model-owned columns the recording has (others are not added, to stay faithful). */
  readonly hrDeviceIndex: number;
  readonly errorStateOctets: number | null;
  /** Conditions the recording's error state shows (they have no recorded alert rows). */
  readonly conditions: ReadonlySet<ConditionName>;
  readonly hrDeviceStatus: number | null;
  readonly hrPrinterStatus: number | null;
}

/** How severe a fault is for the device: stops printing, warns, or merely reports. */
export type Severity = 'critical' | 'warning' | 'report';

/**
 * One active fault, protocol-neutral: the SNMP view turns it into an error-state bit and a
 * prtAlertTable row, the IPP view into a printer-state-reasons keyword and a printer-alert.
 */
export interface ActiveFault {
  readonly key: string;
  readonly bit: HrPrinterErrorBit | null;
  readonly severity: Severity;
  /** PrtAlertGroupTC label and PrtAlertCodeTC label (names as in the generated ENUMS). */
  readonly alertGroup: 'generalPrinter' | 'cover' | 'input' | 'output' | 'marker' | 'markerSupplies' | 'mediaPath';
  readonly alertGroupIndex: number;
  readonly alertCode: string;
  readonly training: 'untrained' | 'trained' | 'fieldService' | 'noInterventionRequired';
  readonly description: string;
  /** printer-state-reasons keyword including its suffix. */
  readonly ippReason: string;
  /** ms since simulator start when the fault began (→ prtAlertTime). */
  readonly since: number;
}
