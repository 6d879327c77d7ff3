/**
 * Built-in printer models: several vendors and technologies, each with the supply layout and
 * the reporting habits of the real devices (Ricoh's -3 levels, Brother's -3/-2 toner, inkjets'
 * ink tanks, print head and maintenance box). A device is a model instantiated under an id;
 * levels, serials and MACs vary per device but are deterministic.
 */
import { createHash } from 'node:crypto';
import { ENUMS } from '../../mibs/oids.generated.js';
import type { DeviceState, SimSupply, SimTray } from './deviceModel.js';
import { isReceptacle, supplyFamily } from './supplyKinds.js';

const TYPE = ENUMS.PrtMarkerSuppliesTypeTC;
const CLASS = ENUMS.PrtMarkerSuppliesClassTC;
const UNIT = ENUMS.PrtMarkerSuppliesSupplyUnitTC;

interface SupplySpec {
  readonly description: string;
  readonly class: number;
  readonly type: number;
  readonly unit: number;
  readonly max: number;
  /** Fixed level (e.g. -3), or omitted for a per-device level between 35 % and 94 % of max. */
  readonly level?: number;
  readonly color: string | null;
}

export interface ModelSpec {
  readonly name: string;
  readonly summary: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly sysObjectId: string;
  readonly sysDescr: string;
  readonly firmware: string;
  readonly commandSet: string;
  readonly serialPrefix: string;
  readonly supplies: readonly SupplySpec[];
  readonly trays: readonly Omit<SimTray, 'index'>[];
  readonly pageCount: number;
  readonly counterShares?: DeviceState['counterShares'];
  readonly quirks?: DeviceState['quirks'];
}

const toner = (color: string, description: string, type: number = TYPE.tonerCartridge): SupplySpec => ({
  description,
  class: CLASS.supplyThatIsConsumed,
  type,
  unit: UNIT.percent,
  max: 100,
  color,
});
const ink = (color: string, description: string, unit: number = UNIT.percent, max = 100): SupplySpec => ({
  description,
  class: CLASS.supplyThatIsConsumed,
  type: TYPE.inkCartridge,
  unit,
  max,
  color,
});
const tray = (name: string, max: number, mediaName = 'A4'): Omit<SimTray, 'index'> => ({ name, mediaName, max, level: Math.round(max * 0.8) });

export const MODELS: readonly ModelSpec[] = [
  {
    name: 'hp-color-laser',
    summary: 'HP Color LaserJet Pro M454dw: four toner cartridges in percent',
    manufacturer: 'HP',
    model: 'Color LaserJet Pro M454dw',
    sysObjectId: '1.3.6.1.4.1.11.2.3.9.1',
    sysDescr: 'HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM JSI23500016,CIDATE 04/13/2023',
    firmware: '2409081_001290',
    commandSet: 'PCL,PJL,PCLXL,POSTSCRIPT,PDF,URF',
    serialPrefix: 'VNB3',
    supplies: [
      toner('black', 'Black Cartridge HP W2030A'),
      toner('cyan', 'Cyan Cartridge HP W2031A'),
      toner('magenta', 'Magenta Cartridge HP W2033A'),
      toner('yellow', 'Yellow Cartridge HP W2032A'),
    ],
    trays: [tray('Tray 1', 50), tray('Tray 2', 250)],
    pageCount: 18_240,
    counterShares: { mono: 0.6, color: 0.4, 'mono.duplex': 0.2, 'color.duplex': 0.1 },
  },
  {
    name: 'kyocera-mono-mfp',
    summary: 'Kyocera ECOSYS M2540dn: mono toner and a waste toner box',
    manufacturer: 'Kyocera',
    model: 'ECOSYS M2540dn',
    sysObjectId: '1.3.6.1.4.1.1347.41',
    sysDescr: 'KYOCERA Document Solutions Printing System',
    firmware: '2S0_2F00.005.002',
    commandSet: 'PCL6,PCL5E,POSTSCRIPT,PDF,KPDL',
    serialPrefix: 'VCF9',
    supplies: [
      { ...toner('black', 'TK-1170', TYPE.toner) },
      { description: 'Waste Toner Box', class: CLASS.receptacleThatIsFilled, type: TYPE.wasteToner, unit: UNIT.percent, max: 100, color: null },
    ],
    trays: [tray('Cassette 1', 250), tray('MP Tray', 50)],
    pageCount: 42_115,
    counterShares: { mono: 1, 'mono.duplex': 0.4, 'print.mono': 0.75 },
  },
  {
    name: 'ricoh-mfp',
    summary: 'Ricoh MP C3004: reports toner as -3 ("some remaining") until empty, then -100',
    manufacturer: 'Ricoh',
    model: 'MP C3004',
    sysObjectId: '1.3.6.1.4.1.367.1.1',
    sysDescr: 'RICOH MP C3004 1.03 / RICOH Network Printer C model / RICOH Network Scanner C model / RICOH Network Facsimile C model',
    firmware: '1.03',
    commandSet: 'PJL,RPCS,PCL5C,PCLXL,POSTSCRIPT,PDF',
    serialPrefix: 'E17',
    supplies: [
      toner('black', 'Black Toner', TYPE.toner),
      { description: 'Waste Toner', class: CLASS.receptacleThatIsFilled, type: TYPE.wasteToner, unit: UNIT.percent, max: 100, level: 100, color: null },
      toner('cyan', 'Cyan Toner', TYPE.toner),
      toner('magenta', 'Magenta Toner', TYPE.toner),
      toner('yellow', 'Yellow Toner', TYPE.toner),
    ],
    trays: [tray('Tray 1', 550), tray('Tray 2', 550), tray('Bypass Tray', 100)],
    pageCount: 310_552,
    counterShares: { mono: 0.55, color: 0.45, 'mono.duplex': 0.3, 'color.duplex': 0.2, print: 0.7 },
    quirks: { ricohLevels: true },
  },
  {
    name: 'epson-inkjet',
    summary: 'Epson WF-C5790: four ink cartridges, a print head and a maintenance box (waste ink)',
    manufacturer: 'EPSON',
    model: 'WF-C5790 Series',
    sysObjectId: '1.3.6.1.4.1.1248.1.1.2',
    sysDescr: 'EPSON Built-in 11b/g/n Print Server',
    firmware: 'NI17QB',
    commandSet: 'ESCPL2,BDC,D4,D4PX,ESCPR7,END4,GENEP,PWGRaster,URF',
    serialPrefix: 'X4DY',
    supplies: [
      ink('black', 'Black Ink'),
      ink('cyan', 'Cyan Ink'),
      ink('magenta', 'Magenta Ink'),
      ink('yellow', 'Yellow Ink'),
      { description: 'Maintenance Box', class: CLASS.receptacleThatIsFilled, type: TYPE.wasteInk, unit: UNIT.percent, max: 100, color: null },
      { description: 'Print Head', class: CLASS.other, type: TYPE.other, unit: UNIT.other, max: -2, level: -3, color: null },
    ],
    trays: [tray('Paper Cassette 1', 250)],
    pageCount: 7_804,
    counterShares: { mono: 0.35, color: 0.65, 'mono.duplex': 0.1, 'color.duplex': 0.2, print: 0.8, 'print.color': 0.55 },
  },
  {
    name: 'canon-inkjet',
    summary: 'Canon MAXIFY GX7050 (MegaTank): ink tanks in tenths of ml, a print head, waste ink absorber',
    manufacturer: 'Canon',
    model: 'MAXIFY GX7000 series',
    sysObjectId: '1.3.6.1.4.1.1602.4.7',
    sysDescr: 'Canon MAXIFY GX7000 series',
    firmware: '1.030',
    commandSet: 'URF,PWGRaster,PDF,IVEC,IVECPLI',
    serialPrefix: 'KMRA',
    supplies: [
      { description: 'Black Ink Tank', class: CLASS.supplyThatIsConsumed, type: TYPE.ink, unit: UNIT.tenthsOfMilliliters, max: 1700, color: 'black' },
      { description: 'Cyan Ink Tank', class: CLASS.supplyThatIsConsumed, type: TYPE.ink, unit: UNIT.tenthsOfMilliliters, max: 1350, color: 'cyan' },
      { description: 'Magenta Ink Tank', class: CLASS.supplyThatIsConsumed, type: TYPE.ink, unit: UNIT.tenthsOfMilliliters, max: 1350, color: 'magenta' },
      { description: 'Yellow Ink Tank', class: CLASS.supplyThatIsConsumed, type: TYPE.ink, unit: UNIT.tenthsOfMilliliters, max: 1350, color: 'yellow' },
      { description: 'Ink Absorber', class: CLASS.receptacleThatIsFilled, type: TYPE.wasteInk, unit: UNIT.percent, max: 100, color: null },
      { description: 'Print Head', class: CLASS.other, type: TYPE.other, unit: UNIT.other, max: -2, level: -3, color: null },
    ],
    trays: [tray('Rear Tray', 100), tray('Cassette', 250)],
    pageCount: 12_930,
    counterShares: { mono: 0.3, color: 0.7, 'mono.duplex': 0.05, 'color.duplex': 0.15, 'mono.large': 0.1, 'color.large': 0.2 },
  },
  {
    name: 'brother-laser',
    summary: 'Brother HL-L5100DN: toner reported only as -3 of -2 ("some remaining"), drum in pages',
    manufacturer: 'Brother',
    model: 'HL-L5100DN series',
    sysObjectId: '1.3.6.1.4.1.2435.2.3.9.1',
    sysDescr: 'Brother NC-8700h, Firmware Ver.1.15  (20.04.01),MID 8CE-F13,FID 2',
    firmware: '1.15',
    commandSet: 'PJL,HBP,PCL,PCLXL,POSTSCRIPT',
    serialPrefix: 'E78',
    supplies: [
      { description: 'Toner Cartridge', class: CLASS.supplyThatIsConsumed, type: TYPE.toner, unit: UNIT.percent, max: -2, level: -3, color: 'black' },
      { description: 'Drum Unit', class: CLASS.supplyThatIsConsumed, type: TYPE.opc, unit: UNIT.impressions, max: 30_000, color: null },
    ],
    trays: [tray('Tray1', 250), tray('MP Tray', 50)],
    pageCount: 9_322,
    counterShares: { mono: 1, 'mono.duplex': 0.5 },
  },
  {
    name: 'konica-mfp',
    summary: 'Konica Minolta bizhub C300i: toners, drums, a developer and a waste toner box at -3/-2',
    manufacturer: 'KONICA MINOLTA',
    model: 'bizhub C300i',
    sysObjectId: '1.3.6.1.4.1.18334.1.1.1.2.1.100',
    sysDescr: 'KONICA MINOLTA bizhub C300i',
    firmware: 'GC2-20',
    commandSet: 'PCL,PCLXL,POSTSCRIPT,PDF,XPS',
    serialPrefix: 'AA2J0',
    supplies: [
      toner('cyan', 'Toner (Cyan)', TYPE.toner),
      toner('magenta', 'Toner (Magenta)', TYPE.toner),
      toner('yellow', 'Toner (Yellow)', TYPE.toner),
      toner('black', 'Toner (Black)', TYPE.toner),
      { description: 'Drum Unit (Black)', class: CLASS.supplyThatIsConsumed, type: TYPE.opc, unit: UNIT.percent, max: 100, color: 'black' },
      { description: 'Developing Unit (Black)', class: CLASS.supplyThatIsConsumed, type: TYPE.developer, unit: UNIT.percent, max: 100, color: 'black' },
      { description: 'Waste Toner Box', class: CLASS.receptacleThatIsFilled, type: TYPE.wasteToner, unit: UNIT.other, max: -2, level: -3, color: null },
    ],
    trays: [tray('Tray1', 500), tray('Tray2', 500), tray('Bypass Tray', 100)],
    pageCount: 154_700,
    // The four function rows sum to the total, as a copier without fax would; mono and color are their sums.
    counterShares: { 'copy.mono': 0.2, 'print.mono': 0.45, 'copy.color': 0.05, 'print.color': 0.3, 'mono.duplex': 0.25, 'color.duplex': 0.15 },
  },
];

export const MODEL_NAMES = MODELS.map((m) => m.name);

export function findModel(name: string): ModelSpec | undefined {
  return MODELS.find((m) => m.name === name);
}

function digest(text: string): Buffer {
  return createHash('sha1').update(text).digest();
}

/** A stable urn:uuid for a device id (name-based, RFC 4122 version-5 layout). */
export function deviceUuid(id: string): string {
  const h = digest(`fleetdesk-simulator:${id}`);
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** Instantiates a model as device `id`; `ordinal` varies levels and counters between devices. */
export function instantiateModel(spec: ModelSpec, id: string, ordinal: number): DeviceState {
  const h = digest(id);
  const serial = `${spec.serialPrefix}${h.readUInt32BE(0).toString(36).toUpperCase().padStart(7, '0')}`;
  // Locally administered unicast MAC: never collides with real hardware.
  const mac = ['02', 'fd', ...[...h.subarray(4, 8)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
  const supplies: SimSupply[] = spec.supplies.map((s, i) => {
    const level = s.level ?? Math.round(s.max * (0.35 + ((ordinal * 37 + i * 11) % 60) / 100));
    return {
      index: i + 1,
      description: s.description,
      class: s.class,
      type: s.type,
      unit: s.unit,
      max: s.max,
      level,
      color: s.color,
      family: supplyFamily(s.type, s.class, s.description),
      receptacle: isReceptacle(s.type, s.class, s.description),
    };
  });
  return {
    id,
    model: spec.name,
    identity: {
      manufacturer: spec.manufacturer,
      model: spec.model,
      sysDescr: spec.sysDescr,
      sysObjectId: spec.sysObjectId,
      sysName: id,
      sysLocation: `Simulated, rack ${1 + (ordinal % 8)}`,
      sysContact: 'FleetDesk simulator',
      serial,
      firmware: spec.firmware,
      uuid: deviceUuid(id),
      mac,
      commandSet: spec.commandSet,
    },
    mode: 'idle',
    conditions: new Map(),
    supplies,
    trays: spec.trays.map((t, i) => ({ ...t, index: i + 1 })),
    pageCount: spec.pageCount + ordinal * 1013,
    ...(spec.counterShares ? { counterShares: spec.counterShares } : {}),
    silent: false,
    deriveSupplyConditions: true,
    quirks: spec.quirks ?? {},
    alertEvents: { all: 0, critical: 0 },
  };
}
