/**
 * One fault, one identity on the agent side: the SNMP and IPP normalisers, their merge and change
 * detection all key a fault with shared/faultIdentity.ts `faultKey`, and fold through one
 * `foldFaults`. The device views here are a real recording (HP M252dw) with cartridges drained,
 * and the IPP answer such a printer gives for the same state.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IppAttribute, IppValue } from '../../../agent/collect/ipp/ippMessage.js';
import { detectChanges, DEFAULT_CHANGE_SETTINGS, type DeviceMemory } from '../../../agent/diff/changeDetection.js';
import { foldFaults } from '../../../agent/normalise/faultSet.js';
import { normaliseIpp } from '../../../agent/normalise/ipp/ippPrinter.js';
import { mergeSnapshots } from '../../../agent/normalise/merge.js';
import { normaliseSnmp } from '../../../agent/normalise/snmpSnapshot.js';
import { ENUMS, OID } from '../../../mibs/oids.generated.js';
import { faultKey } from '../../../shared/faultIdentity.js';
import { FAULT_CODES } from '../../../shared/faults.js';
import type { Fault, FaultSource } from '../../../shared/snapshot.js';
import { CORPUS_DIR } from '../../harness/repo.js';
import { seededRandom, type Rng } from '../../harness/seededRandom.js';
import { valuesFromSnmprec } from '../../harness/snmprecValues.js';

const RECORDING = readFileSync(resolve(CORPUS_DIR, 'snmprec/jetdirect_m252dw.snmprec'), 'utf8');
const SUPPLY_LEVEL = OID.prtMarkerSuppliesLevel;
const G = ENUMS.PrtAlertGroupTC;
const C = ENUMS.PrtAlertCodeTC;

/** The recording with supply levels replaced, the error-state octets set, and alert rows added. */
function snmpView(
  levels: Readonly<Record<number, number>>,
  extra: { errorState?: string; alerts?: readonly [index: number, group: number, groupIndex: number, code: number][] } = {},
) {
  const lines = RECORDING.split('\n').filter((l) => {
    const oid = l.slice(0, l.indexOf('|'));
    if (Object.keys(levels).some((i) => oid === `${SUPPLY_LEVEL}.1.${i}`)) return false;
    if (extra.errorState !== undefined && oid === `${OID.hrPrinterDetectedErrorState}.1`) return false;
    return true;
  });
  for (const [i, level] of Object.entries(levels)) lines.push(`${SUPPLY_LEVEL}.1.${i}|2|${level}`);
  if (extra.errorState !== undefined) lines.push(`${OID.hrPrinterDetectedErrorState}.1|4x|${extra.errorState}`);
  for (const [row, group, groupIndex, code] of extra.alerts ?? []) {
    lines.push(
      `${OID.prtAlertSeverityLevel}.1.${row}|2|3`,
      `${OID.prtAlertGroup}.1.${row}|2|${group}`,
      `${OID.prtAlertGroupIndex}.1.${row}|2|${groupIndex}`,
      `${OID.prtAlertCode}.1.${row}|2|${code}`,
    );
  }
  return normaliseSnmp(valuesFromSnmprec(lines.join('\n')), { address: '192.0.2.10:161', collectedAt: '2026-03-02T08:00:00.000Z' });
}

const str = (value: string): IppValue => ({ kind: 'string', tag: 0x41, value });
const int = (value: number): IppValue => ({ kind: 'integer', tag: 0x21, value });

function ippView(levels: readonly number[], reasons: readonly string[], alerts: readonly string[] = []) {
  const attrs: Record<string, IppValue[]> = {
    'printer-state': [int(reasons.some((r) => r.endsWith('-error')) ? 5 : 3)],
    'printer-state-reasons': reasons.map(str),
    'printer-device-id': [str('MFG:HP;MDL:HP Color LaserJet Pro M252dw;SN:VNB3J99999;')],
    'marker-names': ['Black Cartridge HP 201X', 'Cyan Cartridge HP 201X', 'Magenta Cartridge HP 201X', 'Yellow Cartridge HP 201X'].map(str),
    'marker-types': levels.map(() => str('toner-cartridge')),
    'marker-colors': ['#000000', '#00FFFF', '#FF00FF', '#FFFF00'].map(str),
    'marker-levels': levels.map(int),
  };
  if (alerts.length > 0) attrs['printer-alert'] = alerts.map(str);
  const attributes = new Map<string, IppAttribute>(Object.entries(attrs).map(([name, values]) => [name, { name, values }]));
  return normaliseIpp({ address: 'ipp://192.0.2.10:631/ipp/print', collectedAt: '2026-03-02T08:00:01.000Z', attributes }).snapshot;
}

const located = (faults: readonly Fault[], code: Fault['code']) =>
  faults
    .filter((f) => f.code === code)
    .map((f) => f.subunit?.index ?? null)
    .sort();

describe('subunits stay distinct', () => {
  it('toner empty on cartridges 2 and 3 is two faults in SNMP, in IPP and merged', () => {
    // markerTonerEmpty alerts on the supplies group for cartridges 2 and 3, the noToner error bit
    // (bit 3: 0x10) for the device, and the levels at 0.
    const snmp = snmpView(
      { 2: 0, 3: 0 },
      {
        errorState: '10',
        alerts: [
          [1, G.markerSupplies, 2, C.markerTonerEmpty],
          [2, G.markerSupplies, 3, C.markerTonerEmpty],
        ],
      },
    );
    const ipp = ippView(
      [63, 0, 0, 88],
      ['toner-empty-error'],
      [
        'code=markerTonerEmpty;severity=critical;group=markerSupplies;groupindex=2',
        'code=markerTonerEmpty;severity=critical;group=markerSupplies;groupindex=3',
      ],
    );
    expect(located(snmp.faults, 'toner.empty')).toEqual([2, 3]);
    expect(located(ipp.faults, 'toner.empty')).toEqual([2, 3]);
    const merged = mergeSnapshots(snmp, ipp);
    if (!merged.ok) throw new Error(merged.reason);
    expect(located(merged.snapshot.faults, 'toner.empty')).toEqual([2, 3]);
    // Every source that knows the cartridge names it the way the device does.
    expect(merged.snapshot.faults.filter((f) => f.code === 'toner.empty').map((f) => f.subunit?.name)).toEqual([
      'Cyan Cartridge HP CF401X',
      'Magenta Cartridge HP CF403X',
    ]);
    // The device-level bit and reason folded into them: no third, unlocated toner.empty.
    expect(new Set(merged.snapshot.faults.map(faultKey)).size).toBe(merged.snapshot.faults.length);
  });

  it('an alert on a colorant lands on the one cartridge of that colorant', () => {
    // The recording's cartridge 3 (magenta) uses colorant 3; the alert names the colorant group.
    const colorantOf3 = RECORDING.split('\n')
      .find((l) => l.startsWith(`${OID.prtMarkerSuppliesColorantIndex}.1.3|`))!
      .split('|')[2];
    const snmp = snmpView({ 3: 0 }, { alerts: [[1, G.markerColorant, Number(colorantOf3), C.markerTonerEmpty]] });
    expect(snmp.faults.filter((f) => f.code === 'toner.empty').map((f) => [f.subunit?.group, f.subunit?.index, f.source])).toEqual([
      ['markerSupplies', 3, 'prtAlert'],
    ]);
  });

  it('refilling cartridge 2 clears its fault only; cartridge 3 stays raised', () => {
    const empty = snmpView({ 2: 0, 3: 0 }, { errorState: '10' });
    const refilled = snmpView({ 2: 100, 3: 0 }, { errorState: '10' });
    let memory: DeviceMemory | undefined;
    const kinds: string[][] = [];
    [empty, empty, refilled, refilled].forEach((snapshot, minute) => {
      const r = detectChanges(memory, { ok: true, snapshot }, new Date(Date.UTC(2026, 2, 2, 8, minute)), DEFAULT_CHANGE_SETTINGS);
      memory = r.memory;
      kinds.push(
        r.events.map((e) =>
          `${e.kind} ${e.kind === 'fault.raised' || e.kind === 'fault.cleared' ? `${e.fault.code}#${e.fault.subunit?.index ?? '-'}` : ''}`.trim(),
        ),
      );
    });
    expect(kinds).toEqual([[], ['fault.raised toner.empty#2', 'fault.raised toner.empty#3'], ['supply.changed'], ['fault.cleared toner.empty#2']]);
  });
});

describe('SNMP and IPP views of one condition fold to one fault', () => {
  it('toner low on yellow: SNMP level, IPP marker level, IPP reason and the lowToner bit are one fault on cartridge 4', () => {
    const snmp = snmpView({ 4: 5 }, { errorState: '20' }); // lowToner = bit 2
    const ipp = ippView([63, 63, 88, 5], ['toner-low-warning']);
    const merged = mergeSnapshots(snmp, ipp);
    if (!merged.ok) throw new Error(merged.reason);
    expect(merged.snapshot.faults.filter((f) => f.code === 'toner.low').map((f) => [f.subunit?.group, f.subunit?.index])).toEqual([['markerSupplies', 4]]);
  });

  it('a jam: the jammed bit, the mediaPath alert and the IPP reason are one fault where the alert located it', () => {
    const snmp = snmpView({}, { errorState: '04', alerts: [[1, G.mediaPath, 1, C.jam]] }); // jammed = bit 5
    const ipp = ippView([63, 63, 88, 36], ['media-jam-error'], ['code=jam;severity=critical;group=mediaPath;groupindex=1']);
    const merged = mergeSnapshots(snmp, ipp);
    if (!merged.ok) throw new Error(merged.reason);
    expect(merged.snapshot.faults.filter((f) => f.code === 'jam').map((f) => [f.subunit?.group, f.subunit?.index])).toEqual([['mediaPath', 1]]);
  });

  it('service requested: the error bit and a code-other alert saying so are one service.requested, never an unclassified twin', () => {
    const lines = [`${OID.prtAlertDescription}.1.1|4|Service requested`];
    const values = valuesFromSnmprec(
      [
        ...RECORDING.split('\n').filter((l) => !l.startsWith(`${OID.hrPrinterDetectedErrorState}.1|`)),
        `${OID.hrPrinterDetectedErrorState}.1|4x|0100`, // serviceRequested = bit 7
        `${OID.prtAlertSeverityLevel}.1.1|2|4`,
        `${OID.prtAlertGroup}.1.1|2|${G.generalPrinter}`,
        `${OID.prtAlertGroupIndex}.1.1|2|1`,
        `${OID.prtAlertCode}.1.1|2|${C.other}`,
        ...lines,
      ].join('\n'),
    );
    const s = normaliseSnmp(values, { address: '192.0.2.10:161', collectedAt: '2026-03-02T08:00:00.000Z' });
    expect(s.faults.map((f) => f.code).filter((c) => c === 'service.requested' || c === 'unclassified')).toEqual(['service.requested']);
    // IPP: the same alert beside the reason other-warning (what the simulator and many printers send).
    const ipp = ippView([63, 63, 88, 36], ['other-warning'], ['code=other;severity=warning;group=generalPrinter;groupindex=1']);
    expect(ipp.faults.map((f) => f.code)).toEqual(['unclassified']); // no description: nothing says what "other" is
    const described = normaliseIpp({
      address: 'ipp://192.0.2.10:631/ipp/print',
      collectedAt: '2026-03-02T08:00:01.000Z',
      attributes: new Map<string, IppAttribute>([
        ['printer-state', { name: 'printer-state', values: [int(3)] }],
        ['printer-state-reasons', { name: 'printer-state-reasons', values: [str('other-warning')] }],
        ['printer-alert', { name: 'printer-alert', values: [str('code=other;severity=warning;group=generalPrinter;groupindex=1')] }],
        ['printer-alert-description', { name: 'printer-alert-description', values: [str('Service requested')] }],
      ]),
    }).snapshot;
    expect(described.faults.map((f) => f.code)).toEqual(['service.requested']);
    const merged = mergeSnapshots(s, described, { assumeSameDevice: true });
    expect(
      merged.ok && merged.snapshot.faults.filter((f) => f.code === 'service.requested' || f.code === 'unclassified').map((f) => [f.code, f.subunit?.group]),
    ).toEqual([['service.requested', 'generalPrinter']]);
  });
});

// ---- properties over generated fault lists ---------------------------------------------------------

const SOURCES: readonly FaultSource[] = ['hrErrorState', 'prtAlert', 'supply', 'ippStateReason', 'ippAlert'];
const CODES = ['toner.low', 'toner.empty', 'ink.low', 'supply.low', 'supply.empty', 'jam', 'door.open', 'unclassified', 'paper.empty'] as const;
const GROUPS = ['markerSupplies', 'mediaPath', 'input', 'cover'] as const;

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)]!;
}

function randomFault(rng: Rng): Fault {
  const code = pick(rng, CODES);
  const where = rng();
  const subunit =
    where < 0.3
      ? undefined
      : where < 0.45
        ? { group: pick(rng, GROUPS) }
        : { group: pick(rng, GROUPS), index: 1 + Math.floor(rng() * 4), ...(rng() < 0.5 ? { name: `Part ${Math.floor(rng() * 3)}` } : {}) };
  return {
    code,
    severity: pick(rng, ['info', 'warning', 'critical'] as const),
    source: pick(rng, SOURCES),
    message: `${code} ${Math.floor(rng() * 5)}`,
    ...(subunit ? { subunit } : {}),
    ...(code === 'unclassified' || rng() < 0.3 ? { rawCode: `r${Math.floor(rng() * 3)}` } : {}),
  };
}

function shuffled<T>(rng: Rng, list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('foldFaults properties (seeded random fault lists)', () => {
  const SEED = 14_2026;
  const CASES = 400;

  it('is idempotent, order-independent in keys and severities, and leaves one fault per key', () => {
    const rng = seededRandom(SEED);
    expect(FAULT_CODES).toEqual(expect.arrayContaining([...CODES]));
    let folded = 0;
    for (let n = 0; n < CASES; n++) {
      const faults = Array.from({ length: Math.floor(rng() * 12) }, () => randomFault(rng));
      const once = foldFaults(faults);
      const context = `seed ${SEED}, case ${n}: ${JSON.stringify(faults)}`;
      expect(foldFaults(once).map(faultKey), context).toEqual(once.map(faultKey));
      const keys = once.map(faultKey);
      expect(new Set(keys).size, context).toBe(keys.length);
      const severityByKey = new Map(once.map((f) => [faultKey(f), f.severity]));
      const other = foldFaults(shuffled(rng, faults));
      expect(new Set(other.map(faultKey)), context).toEqual(new Set(keys));
      expect(new Map(other.map((f) => [faultKey(f), f.severity])), context).toEqual(severityByKey);
      // Nothing is lost: every input key is kept, or a more precise fault of a covering code took it.
      const precision = (x: Fault) => (x.subunit?.index !== undefined && x.subunit.index >= 1 ? 2 : x.subunit?.group !== undefined ? 1 : 0);
      const tookIt = (f: Fault, g: Fault) =>
        precision(g) > precision(f) &&
        (g.code === f.code || f.code.startsWith('supply.')) &&
        (f.subunit?.group === undefined || f.subunit.group === g.subunit?.group) &&
        (f.code !== 'unclassified' || f.rawCode === g.rawCode);
      for (const f of faults) expect(keys.includes(faultKey(f)) || once.some((g) => tookIt(f, g)), context).toBe(true);
      folded += faults.length - once.length;
    }
    // The generator does produce duplicates and foldable faults (else the properties say little).
    expect(folded).toBeGreaterThan(CASES);
  });
});
