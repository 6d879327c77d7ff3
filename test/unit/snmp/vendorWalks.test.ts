/**
 * Counter profiles against the public walks they rest on: each fixture in
 * test/golden/vendor-walks/ holds a real device's counter rows with the walk's values, and the
 * counter set beside it was written by hand from those values (README.md there names the source).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normaliseSnmp } from '../../../agent/normalise/snmpSnapshot.js';
import { DeviceSnapshot } from '../../../shared/snapshot.js';
import { valuesFromSnmprec } from '../../harness/snmprecValues.js';
import { REPO_ROOT } from '../../harness/repo.js';

const DIR = join(REPO_ROOT, 'test', 'golden', 'vendor-walks');
const walks = readdirSync(DIR)
  .filter((f) => f.endsWith('.snmprec'))
  .map((f) => f.slice(0, -'.snmprec'.length));
const read = (name: string) =>
  normaliseSnmp(valuesFromSnmprec(readFileSync(join(DIR, `${name}.snmprec`), 'utf8')), { address: '127.0.0.1:161', collectedAt: '2026-11-30T23:30:00Z' });

describe('vendor counter profiles read the public walks as written by hand', () => {
  it('there is a walk for Kyocera and for Epson', () => {
    expect(walks.sort()).toEqual(['epson_amc550', 'kyocera_taskalfa6052ci']);
  });
  for (const name of walks) {
    it(`${name}: the complete counter set, its origins, and no problem`, () => {
      const golden = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as {
        counters: Record<string, number>;
        counterOrigins: Record<string, [string, string]>;
      };
      const s = read(name);
      expect(s.counters).toEqual(golden.counters);
      for (const [key, [source, confidence]] of Object.entries(golden.counterOrigins))
        expect(s.counterProvenance?.origins[key], key).toEqual({ source, confidence });
      expect(s.counterProvenance?.problems).toEqual([]);
      expect(() => DeviceSnapshot.parse(s)).not.toThrow();
    });
  }

  it('a Kyocera without the function × colour table reports it missing and bills from prtMarkerLifeCount only', () => {
    const text = readFileSync(join(DIR, 'kyocera_taskalfa6052ci.snmprec'), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('1.3.6.1.4.1.1347.42.'))
      .join('\n');
    const s = normaliseSnmp(valuesFromSnmprec(text), { address: '127.0.0.1:161', collectedAt: '2026-11-30T23:30:00Z' });
    expect(s.counters).toEqual({ total: 432951 });
    expect(s.counterProvenance?.problems).toEqual([{ source: 'kyoceraCounters', problem: 'missingTable' }]);
  });

  it('an Epson counter sent as text is dropped and reported, the other rows still read', () => {
    const text = readFileSync(join(DIR, 'epson_amc550.snmprec'), 'utf8').replace(
      '1.3.6.1.4.1.1248.1.2.2.27.6.1.4.1.1.2|65|32474',
      '1.3.6.1.4.1.1248.1.2.2.27.6.1.4.1.1.2|4|32,474',
    );
    const s = normaliseSnmp(valuesFromSnmprec(text), { address: '127.0.0.1:161', collectedAt: '2026-11-30T23:30:00Z' });
    expect(s.counters.copy).toBeUndefined();
    expect(s.counters['copy.color']).toBe(2313);
    expect(s.counterProvenance?.problems).toEqual([{ source: 'epsonCounters.6.1.4.1.1.2', problem: 'notANumber', raw: '32,474' }]);
  });
});
