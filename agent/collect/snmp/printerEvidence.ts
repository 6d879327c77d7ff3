/**
 * Whether what an SNMP agent answered is a printer at all (pure): the collector refuses to hand
 * a router's or a PC's values on as a printer (`notAPrinter`), before anything is interpreted.
 * The evidence is the presence of objects only: hrDevicePrinter in hrDeviceType, any Printer-MIB
 * object, or the hrPrinterTable.
 */
import { OID } from '../../../mibs/oids.generated.js';
import { column, type SnmpValue } from './raw.js';

const PRINTER_MIB = OID.prtGeneralSerialNumber.split('.').slice(0, 7).join('.'); // 1.3.6.1.2.1.43

export function printerEvidence(values: Readonly<Record<string, SnmpValue>>): { isPrinter: boolean; reason: string } {
  if (column(values, OID.hrDeviceType).some(([, v]) => v.type === 'oid' && v.value === OID.hrDevicePrinter))
    return { isPrinter: true, reason: 'hrDeviceType lists hrDevicePrinter' };
  const oids = Object.keys(values);
  if (oids.some((o) => o.startsWith(`${PRINTER_MIB}.`))) return { isPrinter: true, reason: 'Printer-MIB objects present' };
  if (oids.some((o) => o.startsWith(`${OID.hrPrinterEntry}.`))) return { isPrinter: true, reason: 'hrPrinterTable present' };
  return {
    isPrinter: false,
    reason: oids.length === 0 ? 'the device returned no standard objects at all' : 'no hrDevicePrinter entry, no hrPrinterTable and no Printer-MIB objects',
  };
}
