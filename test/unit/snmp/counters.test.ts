/**
 * Page counters read over SNMP: the golden counter sets of the recordings (written by hand),
 * the vendor profile table, and bad input that must be flagged instead of billed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normaliseSnmp } from '../../../agent/normalise/snmpSnapshot.js';
import { COUNTER_PROFILES, counterWalks } from '../../../agent/normalise/counterProfiles.js';
import { parseCounterKey } from '../../../shared/counters.js';
import { DeviceSnapshot } from '../../../shared/snapshot.js';
import { OID } from '../../../mibs/oids.generated.js';
import { valuesFromSnmprec } from '../../harness/snmprecValues.js';
import { CORPUS_DIR, REPO_ROOT } from '../../harness/repo.js';

const RECORDINGS = join(CORPUS_DIR, 'snmprec');
const GOLDEN = join(REPO_ROOT, 'test', 'golden', 'snmp');
const read = (text: string) => normaliseSnmp(valuesFromSnmprec(text), { address: '127.0.0.1:161', collectedAt: '2026-11-30T23:30:00Z' });

describe('golden counter sets of the recordings', () => {
  const files = readdirSync(RECORDINGS).filter((f) => f.endsWith('.snmprec'));
  for (const file of files) {
    const name = file.slice(0, -'.snmprec'.length);
    const golden = JSON.parse(readFileSync(join(GOLDEN, `${name}.json`), 'utf8')) as {
      expect: string;
      counters?: Record<string, number>;
      counterOrigins?: Record<string, [string, string]>;
    };
    if (golden.expect !== 'snapshot' || !golden.counters) continue;
    it(`${name}: counters and their origins`, () => {
      const s = read(readFileSync(join(RECORDINGS, file), 'utf8'));
      expect(s.counters).toEqual(golden.counters);
      for (const [key, [source, confidence]] of Object.entries(golden.counterOrigins ?? {}))
        expect(s.counterProvenance?.origins[key], key).toEqual({ source, confidence });
      expect(() => DeviceSnapshot.parse(s)).not.toThrow();
    });
  }
});

describe('vendor counter profiles', () => {
  it('every row names a billable counter, and every walked object is in the OID table', () => {
    for (const p of COUNTER_PROFILES) {
      expect(OID[p.object], p.object).toMatch(/^1\.3\.6\.1\.4\.1\./);
      for (const [instance, key] of Object.entries(p.rows)) {
        expect(instance).toMatch(/^\d+(\.\d+)*$/);
        expect(parseCounterKey(key), `${p.vendor} ${instance} → ${key}`).not.toBeNull();
      }
    }
  });

  it('the collector walks only the branches of the vendor counter table that the profile reads, and only on that vendor', () => {
    const labels = (vendor: Parameters<typeof counterWalks>[0]) => counterWalks(vendor).map((w) => w.label);
    // Sharp rows <function>.4.<colour> for functions 1, 4, 5, 7: not 5.5, 6.4 or 8.4.
    expect(labels('sharp')).toEqual(['sharpCounterValue.1.4', 'sharpCounterValue.4.4', 'sharpCounterValue.5.4', 'sharpCounterValue.7.4']);
    expect(labels('konica')).toEqual(['konicaCounters.2.1.5.1', 'konicaCounters.2.1.5.2']);
    expect(labels('hp')).toEqual(['hpPageCounters.5', 'hpPageCounters.6', 'hpPageCounters.7', 'hpPageCounters.22']);
    expect(labels('ricoh')).toEqual(['ricohEngCounter.1', 'ricohEngCounter.2', 'ricohEngCounter.4']);
    expect(labels('kyocera')).toEqual(['kyoceraCounters.1', 'kyoceraCounters.2', 'kyoceraCounters.4']);
    // Canon's rows sit directly under the object (one arc, the counter ID): the whole object.
    expect(labels('canon')).toEqual(['canonCounterValue']);
    expect(labels('epson')).toEqual(['epsonCounters.1.1.3.1', 'epsonCounters.1.1.4.1', 'epsonCounters.6.1.4.1.1', 'epsonCounters.6.1.5.1.1']);
    expect(counterWalks('sharp')[0]!.root).toBe(`${OID.sharpCounterValue}.1.4`);
    expect(counterWalks('brother')).toEqual([]);
    expect(counterWalks('xerox')).toEqual([]);
    expect(counterWalks(null)).toEqual([]);
  });

  it('every row a profile reads lies under one of its walked branches', () => {
    for (const p of COUNTER_PROFILES) {
      const roots = counterWalks(p.vendor).map((w) => w.root);
      for (const instance of Object.keys(p.rows)) {
        const oid = `${OID[p.object]}.${instance}`;
        expect(
          roots.some((r) => oid.startsWith(`${r}.`)),
          `${p.vendor} ${instance}`,
        ).toBe(true);
      }
    }
  });
});

const HP_HEAD = `${OID.sysObjectID}.0|6|1.3.6.1.4.1.11.2.3.9.1
${OID.sysDescr}.0|4|HP LaserJet
${OID.hrDeviceType}.1|6|${OID.hrDevicePrinter}
${OID.prtMarkerCounterUnit}.1.1|2|7
`;

describe('bad counter input is flagged, never billed', () => {
  it('a counter sent as text is dropped and reported', () => {
    const s = read(`${HP_HEAD}${OID.prtMarkerLifeCount}.1.1|4|12345 pages
${OID.hpPageCounters}.6.0|2|100`);
    expect(s.counters).toEqual({ mono: 100 });
    expect(s.counterProvenance?.problems).toEqual([{ source: 'prtMarkerLifeCount.1.1', problem: 'notANumber', raw: '12345 pages' }]);
  });

  it('a negative counter is dropped and reported', () => {
    const s = read(`${HP_HEAD}${OID.prtMarkerLifeCount}.1.1|65|500
${OID.hpPageCounters}.7.0|2|-20`);
    expect(s.counters).toEqual({ total: 500 });
    expect(s.counterProvenance?.problems).toEqual([{ source: 'hpPageCounters.7.0', problem: 'negative', raw: '-20' }]);
  });

  it('a Counter64 beyond 2^53 is out of range, not rounded', () => {
    const s = read(`${HP_HEAD}${OID.prtMarkerLifeCount}.1.1|70|18446744073709551615
${OID.hpPageCounters}.6.0|2|1`);
    expect(s.counters.total).toBeUndefined();
    expect(s.counterProvenance?.problems).toEqual([{ source: 'prtMarkerLifeCount.1.1', problem: 'outOfRange', raw: '18446744073709551615' }]);
  });

  it('a vendor counter table the device does not answer is reported missing', () => {
    const s = read(`${HP_HEAD}${OID.prtMarkerLifeCount}.1.1|65|500`);
    expect(s.counters).toEqual({ total: 500 });
    expect(s.counterProvenance?.problems).toEqual([{ source: 'hpPageCounters', problem: 'missingTable' }]);
  });

  it('a colour count above the total derives nothing', () => {
    const s = read(`${HP_HEAD}${OID.prtMarkerLifeCount}.1.1|65|500
${OID.hpPageCounters}.7.0|2|900`);
    expect(s.counters).toEqual({ total: 500, color: 900 });
    expect(s.counterProvenance?.origins.color).toEqual({ source: 'hpPageCounters.7.0', confidence: 'exact' });
  });
});
