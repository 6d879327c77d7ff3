/**
 * A device from an snmpsim recording: the recorded rows are served as they are, and the
 * protocol-neutral state (identity, supplies, trays, error bits) is read out of them so that the
 * IPP view and the scenarios work on recordings too.
 */
import { ENUMS, HR_PRINTER_ERROR_BITS, OID } from '../../mibs/oids.generated.js';
import type { SnmpValue } from './ber.js';
import type { ConditionName, DeviceState, PrinterMode, SimSupply, SimTray } from './deviceModel.js';
import type { MibRow } from './mibTable.js';
import { colourFromDescription, isReceptacle, supplyFamily } from './supplyKinds.js';
import { deviceUuid } from './syntheticModels.js';

/** Manufacturer names by sysObjectID enterprise number, for IPP make-and-model and device-id. */
const MANUFACTURERS: Record<number, string> = {
  11: 'HP',
  236: 'Samsung',
  253: 'Xerox',
  297: 'FUJIFILM',
  367: 'Ricoh',
  641: 'Lexmark',
  674: 'Dell',
  683: 'Zebra',
  1129: 'Toshiba',
  1248: 'EPSON',
  1347: 'Kyocera',
  1602: 'Canon',
  2001: 'OKI',
  2385: 'Sharp',
  2435: 'Brother',
  10642: 'Zebra',
  18334: 'KONICA MINOLTA',
};

/** Text of an OCTET STRING: UTF-8 when it is valid UTF-8, Latin-1 otherwise; NULs and edges trimmed. */
export function octetText(value: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(value);
  } catch {
    text = value.toString('latin1');
  }
  return text.replace(/\0+$/g, '').replace(/\0/g, ' ').trim();
}

function under(dotted: string, prefix: string): string | null {
  return dotted.startsWith(`${prefix}.`) ? dotted.slice(prefix.length + 1) : null;
}

function num(v: SnmpValue | undefined): number | null {
  if (!v) return null;
  if (v.type === 'Integer' || v.type === 'Counter32' || v.type === 'Gauge32' || v.type === 'TimeTicks') return v.value;
  return null;
}

function text(v: SnmpValue | undefined): string | null {
  if (!v) return null;
  if (v.type === 'OctetString') return octetText(v.value);
  return null;
}

/** Error bits set in an hrPrinterDetectedErrorState value (bit 0 = MSB of the first octet). */
export function errorBitsOf(value: Buffer): ConditionName[] {
  const out: ConditionName[] = [];
  HR_PRINTER_ERROR_BITS.forEach((name, bit) => {
    const octet = value[bit >> 3];
    if (octet !== undefined && (octet & (0x80 >> (bit & 7))) !== 0) out.push(name);
  });
  return out;
}

export function recordedDevice(id: string, file: string, rows: readonly MibRow[]): DeviceState {
  const byOid = new Map<string, SnmpValue>();
  for (const [oid, value] of rows) if (!byOid.has(oid)) byOid.set(oid, value);
  const scalar = (name: keyof typeof OID) => byOid.get(`${OID[name]}.0`);
  const firstUnder = (name: keyof typeof OID): [string, SnmpValue] | undefined => {
    for (const [oid, value] of byOid) if (under(oid, OID[name]) !== null) return [under(oid, OID[name])!, value];
    return undefined;
  };

  // The printer's hrDeviceIndex: the row typed hrDevicePrinter, else the supplies' first index, else 1.
  let hrIndex: number | null = null;
  for (const [oid, value] of byOid) {
    const idx = under(oid, OID.hrDeviceType);
    if (idx !== null && value.type === 'OID' && value.value === OID.hrDevicePrinter) {
      hrIndex = Number(idx);
      break;
    }
  }
  const supplyCols = new Map<string, Map<number, SnmpValue>>();
  const trayCols = new Map<string, Map<number, SnmpValue>>();
  const colorants = new Map<string, string>();
  for (const [oid, value] of byOid) {
    const s = under(oid, OID.prtMarkerSuppliesEntry);
    if (s !== null) {
      const [col, ...idx] = s.split('.');
      const key = idx.join('.');
      if (!supplyCols.has(key)) supplyCols.set(key, new Map());
      supplyCols.get(key)!.set(Number(col), value);
      continue;
    }
    const t = under(oid, OID.prtInputEntry);
    if (t !== null) {
      const [col, ...idx] = t.split('.');
      const key = idx.join('.');
      if (!trayCols.has(key)) trayCols.set(key, new Map());
      trayCols.get(key)!.set(Number(col), value);
      continue;
    }
    const c = under(oid, OID.prtMarkerColorantValue);
    if (c !== null) colorants.set(c, text(value) ?? '');
  }
  const firstSupplyKey = [...supplyCols.keys()][0];
  if (hrIndex === null && firstSupplyKey) hrIndex = Number(firstSupplyKey.split('.')[0]);
  hrIndex ??= 1;

  const supplies: SimSupply[] = [];
  for (const [key, cols] of supplyCols) {
    const [hr, idx] = key.split('.').map(Number);
    if (hr !== hrIndex || idx === undefined || !Number.isInteger(idx)) continue;
    const description = text(cols.get(6)) ?? `Supply ${idx}`;
    const cls = num(cols.get(4));
    const type = num(cols.get(5));
    const colorantIndex = num(cols.get(3));
    const colour = (colorantIndex ? colorants.get(`${hr}.${colorantIndex}`)?.toLowerCase() : undefined) || colourFromDescription(description);
    supplies.push({
      index: idx,
      description,
      class: cls,
      type,
      unit: num(cols.get(7)),
      max: num(cols.get(8)) ?? -2,
      level: num(cols.get(9)) ?? -2,
      color: colour ?? null,
      family: supplyFamily(type, cls, description),
      receptacle: isReceptacle(type, cls, description),
    });
  }
  supplies.sort((a, b) => a.index - b.index);

  const trays: SimTray[] = [];
  for (const [key, cols] of trayCols) {
    const [hr, idx] = key.split('.').map(Number);
    if (hr !== hrIndex || idx === undefined || !Number.isInteger(idx)) continue;
    trays.push({
      index: idx,
      name: text(cols.get(13)) ?? text(cols.get(18)) ?? `Tray ${idx}`,
      mediaName: text(cols.get(12)) ?? '',
      max: num(cols.get(9)) ?? -2,
      level: num(cols.get(10)) ?? -2,
    });
  }
  trays.sort((a, b) => a.index - b.index);

  const errorState = byOid.get(`${OID.hrPrinterDetectedErrorState}.${hrIndex}`);
  const conditions = new Map<ConditionName, number>();
  if (errorState?.type === 'OctetString') for (const c of errorBitsOf(errorState.value)) conditions.set(c, 0);
  const printerStatus = num(byOid.get(`${OID.hrPrinterStatus}.${hrIndex}`));
  const P = ENUMS.hrPrinterStatus;
  const mode: PrinterMode = printerStatus === P.printing ? 'printing' : printerStatus === P.warmup ? 'warmup' : 'idle';

  const sysObjectIdValue = scalar('sysObjectID');
  const sysObjectId = sysObjectIdValue?.type === 'OID' ? sysObjectIdValue.value : '';
  const enterprise = sysObjectId.startsWith(`${OID.enterprises}.`) ? Number(sysObjectId.slice(OID.enterprises.length + 1).split('.')[0]) : NaN;
  const sysDescr = text(scalar('sysDescr')) ?? '';
  const hrDescr = text(byOid.get(`${OID.hrDeviceDescr}.${hrIndex}`));
  const manufacturer = MANUFACTURERS[enterprise] ?? sysDescr.split(/\s+/)[0] ?? 'Unknown';
  const macValue = firstUnder('ifPhysAddress');
  const macBytes = macValue && macValue[1].type === 'OctetString' && macValue[1].value.length === 6 ? macValue[1].value : null;
  const serialValue = firstUnder('prtGeneralSerialNumber');
  const lifeCount = firstUnder('prtMarkerLifeCount');

  return {
    id,
    model: `snmprec:${file}`,
    identity: {
      manufacturer,
      model: hrDescr || sysDescr || file,
      sysDescr,
      sysObjectId,
      sysName: text(scalar('sysName')) ?? id,
      sysLocation: text(scalar('sysLocation')) ?? '',
      sysContact: text(scalar('sysContact')) ?? '',
      serial: (serialValue && text(serialValue[1])) || '',
      firmware: '',
      uuid: deviceUuid(id),
      mac: macBytes ? [...macBytes].map((b) => b.toString(16).padStart(2, '0')).join(':') : '',
      commandSet: '',
    },
    mode,
    conditions,
    supplies,
    trays,
    pageCount: (lifeCount && num(lifeCount[1])) ?? 0,
    silent: false,
    deriveSupplyConditions: false,
    quirks: {},
    alertEvents: { all: 0, critical: 0 },
    recording: {
      file,
      rows,
      hrDeviceIndex: hrIndex,
      errorStateOctets: errorState?.type === 'OctetString' ? errorState.value.length : null,
      conditions: new Set(conditions.keys()),
      hrDeviceStatus: num(byOid.get(`${OID.hrDeviceStatus}.${hrIndex}`)),
      hrPrinterStatus: printerStatus,
    },
  };
}
