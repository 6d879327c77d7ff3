/**
 * Who the printer is, from IPP: printer-uuid, printer-device-id (IEEE 1284 `MFG:…;MDL:…;SN:…;`),
 * printer-make-and-model, printer-serial-number, firmware version, name and location.
 */
import type { Identity } from '../../../shared/snapshot.js';
import { cleanText } from '../deviceText.js';
import { vendorByName } from '../vendorQuirks.js';
import { firstString, stringsOf, type IppAttributes } from './ippAttributes.js';

/** IEEE 1284 device ID: `KEY:value;` pairs; keys are case-insensitive and have long forms. */
export function parseDeviceId(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const LONG: Readonly<Record<string, string>> = {
    MANUFACTURER: 'MFG',
    MODEL: 'MDL',
    SERIALNUMBER: 'SN',
    SERN: 'SN',
    'COMMAND SET': 'CMD',
    DESCRIPTION: 'DES',
  };
  for (const part of text.split(';')) {
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    const rawKey = part.slice(0, colon).trim().toUpperCase();
    const key = LONG[rawKey] ?? rawKey;
    const value = part.slice(colon + 1).trim();
    if (value !== '' && !out.has(key)) out.set(key, value);
  }
  return out;
}

/** printer-uuid is `urn:uuid:<uuid>`; the bare, lower-case UUID is what matches across protocols. */
export function uuidFromUri(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  const m = /^urn:uuid:([0-9a-f-]{32,36})$/i.exec(uri.trim());
  return (m?.[1] ?? uri.trim()).toLowerCase().slice(0, 512) || undefined;
}

function text(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const t = cleanText(value);
  return t === '' ? undefined : t.slice(0, 512);
}

function firmware(attrs: IppAttributes): string | undefined {
  const versions = stringsOf(attrs, 'printer-firmware-string-version');
  const names = stringsOf(attrs, 'printer-firmware-name');
  // Several components may be listed (Xerox: System Firmware Version, IPP, URF): prefer the system one.
  const systemAt = names.findIndex((n) => n !== null && /system|firmware|main/i.test(n));
  return text(versions[systemAt >= 0 ? systemAt : 0]);
}

export function ippIdentity(attrs: IppAttributes): Identity {
  const deviceId = parseDeviceId(firstString(attrs, 'printer-device-id') ?? '');
  const makeAndModel = text(firstString(attrs, 'printer-make-and-model'));
  const mfg = text(deviceId.get('MFG'));
  const vendor = vendorByName(mfg ?? makeAndModel)?.name ?? mfg;
  let model = text(deviceId.get('MDL'));
  if (!model && makeAndModel) {
    // "HP LaserJet 100 color MFP M175" → "LaserJet 100 color MFP M175", the MDL style.
    const brand = makeAndModel.split(/\s+/)[0] ?? '';
    model =
      vendor && brand.toLowerCase() === vendor.toLowerCase() && makeAndModel.length > brand.length ? makeAndModel.slice(brand.length).trim() : makeAndModel;
  }
  const identity: Identity = {
    vendor,
    model,
    serial: text(firstString(attrs, 'printer-serial-number')) ?? text(deviceId.get('SN')),
    // printer-name is the device's network name on most printers; a path-like one (Epson: "ipp/print") is not a name.
    sysName: ((n) => (n && !n.includes('/') ? n : undefined))(text(firstString(attrs, 'printer-name'))),
    location: text(firstString(attrs, 'printer-location')),
    uuid: uuidFromUri(firstString(attrs, 'printer-uuid')),
    firmware: firmware(attrs),
  };
  return Object.fromEntries(Object.entries(identity).filter(([, v]) => v !== undefined));
}
