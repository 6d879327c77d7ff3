/**
 * hrPrinterDetectedErrorState (RFC 2790) -> faults. Pure.
 *
 * The value is an OCTET STRING bit field; bit 0 is the most significant bit of the first octet.
 * Devices send it with zero, one, two or more octets: missing octets mean "not detected", bits
 * beyond the 15 defined ones are reported as `unclassified` (never dropped) with their bit number.
 */
import { FAULTS, type FaultCode } from '../../shared/faults.js';
import type { Fault } from '../../shared/snapshot.js';
import { HR_PRINTER_ERROR_BITS, type HrPrinterErrorBit } from '../../mibs/oids.generated.js';

/** Which marker technology the device uses, so lowToner on an inkjet reads as ink. */
export type MarkerFamily = 'toner' | 'ink';

const BIT_FAULT: Readonly<Record<HrPrinterErrorBit, FaultCode>> = {
  lowPaper: 'paper.low',
  noPaper: 'paper.empty',
  lowToner: 'toner.low',
  noToner: 'toner.empty',
  doorOpen: 'door.open',
  jammed: 'jam',
  offline: 'offline',
  serviceRequested: 'service.requested',
  inputTrayMissing: 'input.trayMissing',
  outputTrayMissing: 'output.trayMissing',
  markerSupplyMissing: 'supply.missing',
  outputNearFull: 'output.nearFull',
  outputFull: 'output.full',
  inputTrayEmpty: 'paper.empty',
  overduePreventMaint: 'maintenance.due',
};

/** Bit numbers set in the value, in order. */
export function setBits(bytes: Uint8Array): number[] {
  const bits: number[] = [];
  bytes.forEach((byte, octet) => {
    for (let b = 0; b < 8; b++) if (byte & (0x80 >> b)) bits.push(octet * 8 + b);
  });
  return bits;
}

export function errorStateFaults(bytes: Uint8Array, family: MarkerFamily = 'toner'): Fault[] {
  const faults: Fault[] = [];
  for (const bit of setBits(bytes)) {
    const name = HR_PRINTER_ERROR_BITS[bit];
    if (!name) {
      faults.push({
        code: 'unclassified',
        severity: FAULTS.unclassified.severity,
        source: 'hrErrorState',
        message: `${FAULTS.unclassified.label.en}: hrPrinterDetectedErrorState bit ${bit} is set (not defined by RFC 2790)`,
        rawCode: `bit${bit}`,
      });
      continue;
    }
    let code = BIT_FAULT[name];
    if (family === 'ink' && code === 'toner.low') code = 'ink.low';
    if (family === 'ink' && code === 'toner.empty') code = 'ink.empty';
    faults.push({ code, severity: FAULTS[code].severity, source: 'hrErrorState', message: `${FAULTS[code].label.en} (${name})`, rawCode: name });
  }
  return faults;
}
