/**
 * Printer alerts (RFC 3805 prtAlertTable rows, PWG 5100.9 printer-alert values) -> canonical
 * faults. Pure; shared by the SNMP and IPP normalisers.
 *
 * Interface (stable):
 *   classifyAlert(alert: PrinterAlert): Fault | null
 *     code, group, severity, training accept the IANA enumeration NUMBER (8), its NAME ('jam',
 *     'markerTonerEmpty', group 'mediaPath', severity 'critical', training 'fieldService') or a
 *     numeric string ('8'). Returns null only for alerts that report a return to normal (cover
 *     closed, power up, alert-removal events…); every other alert yields a fault, and one whose
 *     code no rule maps becomes `unclassified` keeping rawCode and the device's description.
 *   alertCodeName(code) / alertGroupName(group): IANA name or null.
 *
 * Severity: critical alert -> 'critical'; warning / warningBinaryChangeEvent -> 'warning';
 * other/absent -> the fault's default severity. Training level noInterventionRequired turns a
 * alert the device did not call critical into 'info'.
 */
import { FAULTS, type FaultCode, type FaultSeverity } from '../../shared/faults.js';
import type { Fault, FaultSource, InputTray, Supply } from '../../shared/snapshot.js';
import { ENUMS } from '../../mibs/oids.generated.js';

export type EnumInput = number | string | null | undefined;

export interface PrinterAlert {
  readonly code: EnumInput;
  readonly group?: EnumInput;
  readonly groupIndex?: number | null;
  readonly severity?: EnumInput;
  readonly training?: EnumInput;
  readonly location?: number | null;
  /** The device's own text (prtAlertDescription / printer-alert-description), already decoded. */
  readonly description?: string | null;
  /** Name of the subunit (e.g. the supply description) when the caller knows it. */
  readonly subunitName?: string | null;
  /** Where the alert came from; defaults to 'prtAlert'. */
  readonly source?: Extract<FaultSource, 'prtAlert' | 'ippAlert'>;
}

const CODES: Readonly<Record<string, number>> = ENUMS.PrtAlertCodeTC;
const GROUPS: Readonly<Record<string, number>> = ENUMS.PrtAlertGroupTC;
const SEVERITIES: Readonly<Record<string, number>> = ENUMS.PrtAlertSeverityLevelTC;
const TRAININGS: Readonly<Record<string, number>> = ENUMS.PrtAlertTrainingLevelTC;

function enumName(table: Readonly<Record<string, number>>, value: EnumInput): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || /^-?\d+$/.test(value.trim())) {
    const n = Number(value);
    for (const [name, v] of Object.entries(table)) if (v === n) return name;
    return null;
  }
  const key = value.trim().replace(/-/g, '').toLowerCase();
  for (const name of Object.keys(table)) if (name.toLowerCase() === key) return name;
  return null;
}

export const alertCodeName = (code: EnumInput): string | null => enumName(CODES, code);
export const alertGroupName = (group: EnumInput): string | null => enumName(GROUPS, group);
export const alertSeverityName = (s: EnumInput): string | null => enumName(SEVERITIES, s);
export const alertTrainingName = (t: EnumInput): string | null => enumName(TRAININGS, t);

/** Alert codes that announce a return to normal or a neutral event: no fault. */
const NOT_A_FAULT = new Set([
  'coverClosed',
  'interlockClosed',
  'configurationChange',
  'subunitClosed',
  'subunitTurnedOn',
  'subunitPowerSaver',
  'subunitWarmingUp',
  'subunitAdded',
  'subunitResourceAdded',
  'doorClosed',
  'powerUp',
  'printerNMSReset',
  'printerManualReset',
  'printerReadyToPrint',
  'inputMediaSizeChange',
  'inputMediaWeightChange',
  'inputMediaTypeChange',
  'inputMediaColorChange',
  'inputMediaFormPartsChange',
  'markerAdjustingPrintQuality',
  'interpreterMemoryIncrease',
  'interpreterMemoryDecrease',
  'interpreterCartridgeAdded',
  'interpreterResourceAdded',
  'alertRemovalOfBinaryChangeEntry',
]);

/** Specific codes (RFC 3805 + IANA registry). */
const BY_CODE: Readonly<Record<string, FaultCode>> = {
  coverOpen: 'door.open',
  interlockOpen: 'door.open',
  doorOpen: 'door.open',
  subunitOpened: 'door.open',
  jam: 'jam',
  subunitOffline: 'offline',
  subunitTurnedOff: 'offline',
  powerDown: 'offline',
  subunitRecoverableFailure: 'hardware.fault',
  subunitUnrecoverableFailure: 'hardware.fault',
  subunitRecoverableStorageError: 'hardware.fault',
  subunitUnrecoverableStorageError: 'hardware.fault',
  subunitMotorFailure: 'hardware.fault',
  subunitMemoryExhausted: 'hardware.fault',
  subunitUnderTemperature: 'hardware.fault',
  subunitOverTemperature: 'hardware.fault',
  subunitTimingFailure: 'hardware.fault',
  subunitThermistorFailure: 'hardware.fault',
  subunitNearLimit: 'maintenance.due',
  subunitAtLimit: 'maintenance.due',
  inputMediaTrayMissing: 'input.trayMissing',
  inputMediaSupplyLow: 'paper.low',
  inputMediaSupplyEmpty: 'paper.empty',
  inputMediaChangeRequest: 'paper.empty',
  inputManualInputRequest: 'paper.empty',
  inputTrayPositionFailure: 'hardware.fault',
  inputTrayElevationFailure: 'hardware.fault',
  inputCannotFeedSizeSelected: 'paper.empty',
  outputMediaTrayMissing: 'output.trayMissing',
  outputMediaTrayAlmostFull: 'output.nearFull',
  outputMediaTrayFull: 'output.full',
  outputMailboxSelectFailure: 'hardware.fault',
  markerFuserUnderTemperature: 'fuser.fault',
  markerFuserOverTemperature: 'fuser.fault',
  markerFuserTimingFailure: 'fuser.fault',
  markerFuserThermistorFailure: 'fuser.fault',
  markerTonerEmpty: 'toner.empty',
  markerInkEmpty: 'ink.empty',
  markerPrintRibbonEmpty: 'supply.empty',
  markerTonerAlmostEmpty: 'toner.low',
  markerInkAlmostEmpty: 'ink.low',
  markerPrintRibbonAlmostEmpty: 'supply.low',
  markerWasteTonerReceptacleAlmostFull: 'waste.nearFull',
  markerWasteInkReceptacleAlmostFull: 'waste.nearFull',
  markerWasteTonerReceptacleFull: 'waste.full',
  markerWasteInkReceptacleFull: 'waste.full',
  markerOpcLifeAlmostOver: 'drum.nearEnd',
  markerOpcLifeOver: 'drum.end',
  markerDeveloperAlmostEmpty: 'developer.low',
  markerDeveloperEmpty: 'supply.empty',
  markerTonerCartridgeMissing: 'supply.missing',
  mediaPathMediaTrayMissing: 'output.trayMissing',
  mediaPathMediaTrayAlmostFull: 'output.nearFull',
  mediaPathMediaTrayFull: 'output.full',
  interpreterResourceUnavailable: 'service.requested',
};

/** Generic subunit codes whose meaning depends on the group the alert names. */
function bySubunitCode(code: string, group: string | null): FaultCode | null {
  const input = group === 'input' || group === 'finSupplyMediaInput';
  const output = group === 'output';
  const supplies = group === 'markerSupplies' || group === 'markerColorant' || group === 'finSupply';
  const fuserLike = group === 'marker';
  switch (code) {
    case 'subunitMissing':
      return input ? 'input.trayMissing' : output ? 'output.trayMissing' : supplies ? 'supply.missing' : 'hardware.fault';
    case 'subunitRemoved':
      return input ? 'input.trayMissing' : output ? 'output.trayMissing' : supplies ? 'supply.missing' : null;
    case 'subunitLifeAlmostOver':
      return supplies ? 'supply.low' : 'maintenance.due';
    case 'subunitLifeOver':
      return supplies ? 'supply.empty' : 'maintenance.due';
    case 'subunitAlmostEmpty':
      return input ? 'paper.low' : 'supply.low';
    case 'subunitEmpty':
      return input ? 'paper.empty' : 'supply.empty';
    case 'subunitAlmostFull':
      return output ? 'output.nearFull' : supplies ? 'waste.nearFull' : 'output.nearFull';
    case 'subunitFull':
      return output ? 'output.full' : supplies ? 'waste.full' : 'output.full';
    case 'subunitUnderTemperature':
    case 'subunitOverTemperature':
      return fuserLike ? 'fuser.fault' : 'hardware.fault';
    default:
      return BY_CODE[code] ?? null;
  }
}

/**
 * IANA finisher codes are <device><generic code>: 30203 = stapler (302) + coverOpen (03). The
 * generic part is the RFC 3805 subunit code; staplers and stitchers consume staples.
 */
const FINISHER_GENERIC: Readonly<Record<number, string>> = {
  3: 'coverOpen',
  4: 'coverClosed',
  5: 'interlockOpen',
  6: 'interlockClosed',
  7: 'configurationChange',
  8: 'jam',
};
for (const [name, n] of Object.entries(CODES)) if (n >= 9 && n <= 38) (FINISHER_GENERIC as Record<number, string>)[n] = name;

function finisherFault(codeNumber: number, codeName: string | null): { fault: FaultCode | null; neutral: boolean } | null {
  // Only registered finisher codes: a vendor's private 4xxxx code is not guessed from its digits.
  if (codeNumber < 30000 || codeName === null) return null;
  const generic = FINISHER_GENERIC[codeNumber % 100];
  if (!generic) return null;
  if (NOT_A_FAULT.has(generic)) return { fault: null, neutral: true };
  const staples = codeName !== null && /^(stapler|stitcher)/.test(codeName);
  if (staples && (generic === 'subunitAlmostEmpty' || generic === 'subunitLifeAlmostOver')) return { fault: 'staples.low', neutral: false };
  if (staples && (generic === 'subunitEmpty' || generic === 'subunitLifeOver')) return { fault: 'staples.empty', neutral: false };
  return { fault: bySubunitCode(generic, 'output'), neutral: false };
}

function alertSeverity(code: FaultCode, severity: string | null, training: string | null): FaultSeverity {
  let s: FaultSeverity;
  if (severity === 'critical') s = 'critical';
  else if (severity === 'warning' || severity === 'warningBinaryChangeEvent') s = 'warning';
  else s = FAULTS[code].severity;
  // Nobody needs to act, unless the device itself calls it critical.
  if (training === 'noInterventionRequired' && severity !== 'critical') s = 'info';
  return s;
}

/**
 * Descriptions of vendor alerts under code other/unknown (prtAlertTable and IPP printer-alert
 * alike), for print heads, ink, supplies and service calls. First match wins.
 */
const DESCRIPTION_PATTERNS: readonly (readonly [RegExp, FaultCode])[] = [
  [/print ?head|printhead|\bhead\b.*(fail|error|problem|missing|incompatible)/i, 'printhead.fault'],
  [/ink ?system|ink ?supply ?system|ink ?pump|ink ?tube|ink ?charg/i, 'inkSystem.fault'],
  [/non-?(hp|genuine|original)|counterfeit|third[- ]party|used ?supply|refilled|nonHPSupply/i, 'supply.nonGenuine'],
  [/(ink|cartridge).*(missing|not (installed|detected)|absent)|(missing|no) (ink|cartridge)/i, 'supply.missing'],
  [/ink.*(empty|\bout\b|depleted|expended)|out of ink|replace.*ink/i, 'ink.empty'],
  [/ink.*(low|almost|nearly)/i, 'ink.low'],
  [/(waste|maintenance box|ink pad).*(almost|nearly|near).*full/i, 'waste.nearFull'],
  [/(waste|maintenance box|ink pad).*full/i, 'waste.full'],
  [/toner.*(missing|not installed)/i, 'supply.missing'],
  [/toner.*empty/i, 'toner.empty'],
  [/toner.*(low|almost)/i, 'toner.low'],
  [/roller|maintenance|service kit|replace.*(soon|needed)|needed soon/i, 'maintenance.due'],
  [/service (is )?(requested|required|call)|call (for )?service/i, 'service.requested'],
  [/jam/i, 'jam'],
  [/(door|cover).*open/i, 'door.open'],
];

/** The fault a vendor's alert text names, or null. */
export function faultFromDescription(description: string): FaultCode | null {
  for (const [pattern, code] of DESCRIPTION_PATTERNS) if (pattern.test(description)) return code;
  return null;
}

const TRAINING_TEXT: Readonly<Record<string, string>> = {
  untrained: 'anyone can fix',
  trained: 'needs a trained operator',
  fieldService: 'needs field service',
  management: 'needs management',
};

export function classifyAlert(alert: PrinterAlert): Fault | null {
  const codeName = alertCodeName(alert.code);
  const group = alertGroupName(alert.group);
  const severity = alertSeverityName(alert.severity);
  const training = alertTrainingName(alert.training);
  const rawCode = codeName ?? (alert.code === null || alert.code === undefined ? 'absent' : String(alert.code).slice(0, 64));
  const codeNumber = typeof alert.code === 'number' ? alert.code : codeName ? CODES[codeName]! : Number(alert.code);

  let code: FaultCode | null;
  if (codeName && NOT_A_FAULT.has(codeName)) return null;
  const fin = Number.isFinite(codeNumber) ? finisherFault(codeNumber, codeName) : null;
  if (fin) {
    if (fin.neutral) return null;
    code = fin.fault;
  } else {
    code = codeName ? bySubunitCode(codeName, group) : null;
  }
  // Code other/unknown: the device's text is all it says (as IPP vendors do, ippFaults.ts). A vendor's
  // private number stays unclassified with that number: its text alone is not evidence enough.
  if (code === null && (codeName === 'other' || codeName === 'unknown') && alert.description) code = faultFromDescription(alert.description);
  code ??= 'unclassified';

  const description = alert.description?.trim() || null;
  const label = FAULTS[code].label.en;
  const parts = [code === 'unclassified' ? `${label} (code ${rawCode}${group ? `, group ${group}` : ''})` : label];
  if (description && description.toLowerCase() !== label.toLowerCase()) parts.push(description);
  const needs = training ? TRAINING_TEXT[training] : undefined;
  const message = `${parts.join(': ')}${needs ? ` (${needs})` : ''}`.slice(0, 4096);

  const subunit =
    (alert.group !== null && alert.group !== undefined) || alert.groupIndex != null || alert.subunitName
      ? {
          ...(group !== null ? { group } : alert.group !== null && alert.group !== undefined ? { group: String(alert.group).slice(0, 64) } : {}),
          ...(alert.groupIndex != null && Number.isInteger(alert.groupIndex) ? { index: alert.groupIndex } : {}),
          ...(alert.subunitName ? { name: alert.subunitName.slice(0, 512) } : {}),
        }
      : undefined;

  return {
    code,
    severity: alertSeverity(code, severity, training),
    source: alert.source ?? 'prtAlert',
    message,
    ...(subunit ? { subunit } : {}),
    rawCode,
  };
}

/**
 * The device's own name for the part an alert points at (group + index), from the supply and
 * input lists of the same poll: "Magenta Cartridge" rather than "markerSupplies 3". SNMP and IPP
 * alerts get the same name the supply-level fault of the same part carries.
 */
export function partName(
  group: EnumInput,
  index: number | null | undefined,
  parts: { readonly supplies: readonly Supply[]; readonly inputs: readonly InputTray[] },
): string | null {
  if (index === null || index === undefined) return null;
  const name = alertGroupName(group);
  if (name === 'markerSupplies') return parts.supplies.find((s) => s.index === index)?.name ?? null;
  if (name === 'input') return parts.inputs.find((t) => t.index === index)?.name ?? null;
  return null;
}

/**
 * On an inkjet the marker subunit is the print head: a failure or end of life reported in the
 * alert group `marker` (RFC 3805 prtMarkerTable) is a print-head fault, not generic hardware.
 * Shared by the SNMP and IPP normalisers so the same device condition gets the same code.
 */
export function inkjetMarkerFault(fault: Fault): Fault {
  if (fault.subunit?.group !== 'marker' || (fault.code !== 'hardware.fault' && fault.code !== 'maintenance.due')) return fault;
  const hardware = fault.code === 'hardware.fault';
  if (!hardware && !/^subunitLife/.test(fault.rawCode ?? '')) return fault;
  return { ...fault, code: 'printhead.fault', message: fault.message.replace(FAULTS[fault.code].label.en, FAULTS['printhead.fault'].label.en) };
}
