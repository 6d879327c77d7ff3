/**
 * Meter reads from real recordings, as the running agent polls them: Debian `snmpsimd` serves
 * ../shared/corpus/snmprec/ and the vendor walks of test/golden/vendor-walks/, the runtime's
 * ProtocolCollector polls each twice (the second poll sizes its requests from the first and asks
 * the vendor's counter instances in its first request, as every later poll does), and the
 * counters must equal the hand-written golden file (test/golden/snmp/<name>.json, or the walk's
 * <name>.json) both times. SNMPv1 likewise, through the collector itself.
 *
 * Per vendor the issue names: HP, Konica Minolta, Sharp, Kyocera and Epson have a counter
 * profile (agent/normalise/counterProfiles.ts) and a recording or public walk with the table, and
 * their counters come from it. Ricoh and Canon have a profile from vendor documents but no
 * recording with the table; their recordings, UTAX's and the corpus's Epson are read from the
 * standard objects, with the table reported missing. Xerox/FUJIFILM and Brother have no profile
 * (docs/meters.md, "Vendors"): no vendor subtree is walked, and no problem is reported.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConfig } from '../../agent/agentConfig.js';
import { collectSnmp, retainForNextPoll } from '../../agent/collect/snmp/collector.js';
import type { RawSnmp } from '../../agent/collect/snmp/raw.js';
import { COUNTER_PROFILES } from '../../agent/normalise/counterProfiles.js';
import { normaliseSnmp } from '../../agent/normalise/snmpSnapshot.js';
import { ProtocolCollector } from '../../agent/runtime/protocolCollector.js';
import { parseTarget } from '../../agent/runtime/targets.js';
import { systemClock } from '../../shared/clock.js';
import type { DeviceSnapshot } from '../../shared/snapshot.js';
import { LOOPBACK, makeTempDir, startSnmpsim, type SnmpsimPeer } from '../harness/peers.js';
import { CORPUS_DIR, REPO_ROOT } from '../harness/repo.js';

/** Recordings and walks per vendor of the issue; Lexmark has none. */
const WITH_PROFILE: Record<string, string[]> = {
  HP: ['jetdirect_m130nw'],
  'Konica Minolta': ['konica_c250i'],
  Sharp: ['sharp', 'sharp_mxm266nv'],
  Kyocera: ['kyocera_taskalfa6052ci'],
  Epson: ['epson_amc550'],
};
/** A profile, but a recording without its table: [recording, the profile's object]. */
const TABLE_MISSING: Record<string, Array<[string, string]>> = {
  Ricoh: [
    ['ricoh_mpc2503', 'ricohEngCounter'],
    ['ricoh_mpc3002', 'ricohEngCounter'],
  ],
  'Kyocera/UTAX': [['utax', 'kyoceraCounters']],
  Canon: [
    ['canonprinter_lbp', 'canonCounterValue'],
    ['canonprinter_tm', 'canonCounterValue'],
  ],
  Epson: [['epson', 'epsonCounters']],
};
const WITHOUT_PROFILE: Record<string, string[]> = {
  'Xerox/FUJIFILM': ['xerox', 'xerox_apeosport', 'fujifilmprinter_c7580', 'fujifilmprinter_c810'],
  Brother: ['brother', 'brother_hl5370dw'],
};
const WALKS_DIR = join(REPO_ROOT, 'test', 'golden', 'vendor-walks');
const STANDARD_SOURCE = /^(prtMarkerLifeCount|prtMarkerPowerOnCount)\.|^derived:/;
const VENDOR_OBJECTS = COUNTER_PROFILES.map((p) => p.object);

const config = AgentConfig.parse({
  tenant: 't',
  agentId: 'a',
  broker: { url: 'mqtt://127.0.0.1:1' },
  snmp: { timeout: '2s', retries: 1 },
  ipp: { enabled: false },
});

let snmpsim: SnmpsimPeer;
let collector: ProtocolCollector;

const data = makeTempDir('meter-recordings');

beforeAll(async () => {
  // One snmpsimd for both: the corpus recordings and the walks (communities = file names).
  for (const dir of [join(CORPUS_DIR, 'snmprec'), WALKS_DIR])
    for (const f of readdirSync(dir)) if (f.endsWith('.snmprec')) copyFileSync(join(dir, f), join(data.path, f));
  snmpsim = await startSnmpsim(data.path);
  collector = new ProtocolCollector(config, systemClock);
});
afterAll(async () => {
  collector?.close();
  await snmpsim?.stop();
  data.remove();
});

function goldenCounters(name: string): Record<string, number> {
  const walk = join(WALKS_DIR, `${name}.json`);
  const file = existsSync(walk) ? walk : join(REPO_ROOT, 'test', 'golden', 'snmp', `${name}.json`);
  const g = JSON.parse(readFileSync(file, 'utf8')) as { counters: Record<string, number> };
  return g.counters;
}

/** Two polls of one recording through the runtime's collector. */
async function pollTwice(name: string): Promise<[DeviceSnapshot, DeviceSnapshot]> {
  const target = parseTarget({ address: `snmp://${name}@${LOOPBACK}:${snmpsim.port}`, id: name });
  const polls: DeviceSnapshot[] = [];
  for (let i = 0; i < 2; i++) {
    const result = await collector.collect(target, new AbortController().signal);
    if (!result.ok) throw new Error(`${name}: poll ${i + 1} failed: ${result.error}`);
    polls.push(result.snapshot);
  }
  return [polls[0]!, polls[1]!];
}

describe('vendors with a counter profile: counters from the vendor table', () => {
  for (const [vendor, names] of Object.entries(WITH_PROFILE)) {
    for (const name of names) {
      it(`${vendor} ${name}: both polls read the golden counters, some from the vendor table`, async () => {
        for (const snap of await pollTwice(name)) {
          expect(snap.counters, name).toEqual(goldenCounters(name));
          const sources = Object.values(snap.counterProvenance?.origins ?? {}).map((o) => o.source);
          expect(
            sources.some((s) => VENDOR_OBJECTS.some((o) => s.startsWith(`${o}.`))),
            `${name}: ${sources.join(', ')}`,
          ).toBe(true);
          expect(snap.counterProvenance?.problems ?? [], name).toEqual([]);
        }
      });
    }
  }
});

describe('SNMPv1 (GETNEXT walks of the profile branches instead of non-repeaters)', () => {
  for (const name of Object.values(WITH_PROFILE).flat()) {
    it(`${name}: both v1 polls read the golden counters`, async () => {
      const endpoint = {
        host: LOOPBACK,
        port: snmpsim.port,
        credential: { version: '1' as const, community: name },
        timeoutMs: 2000,
        retries: 1,
        maxInFlight: 2,
      };
      let previous: RawSnmp | undefined;
      for (let i = 0; i < 2; i++) {
        const raw = await collectSnmp(endpoint, previous);
        expect(normaliseSnmp(raw.values, { address: raw.address, collectedAt: raw.collectedAt }).counters, `${name} poll ${i + 1}`).toEqual(
          goldenCounters(name),
        );
        previous = retainForNextPoll(raw);
      }
    });
  }
});

describe('vendors with a profile whose recording lacks the table: standard counters, the table reported missing', () => {
  for (const [vendor, entries] of Object.entries(TABLE_MISSING)) {
    for (const [name, object] of entries) {
      it(`${vendor} ${name}: both polls read the golden counters from standard objects and report ${object} missing`, async () => {
        for (const snap of await pollTwice(name)) {
          expect(snap.counters, name).toEqual(goldenCounters(name));
          for (const [key, origin] of Object.entries(snap.counterProvenance?.origins ?? {})) expect(origin.source, `${name} ${key}`).toMatch(STANDARD_SOURCE);
          expect(snap.counterProvenance?.problems ?? [], name).toEqual([{ source: object, problem: 'missingTable' }]);
        }
      });
    }
  }
});

describe('vendors without evidence of a counter table: standard counters only', () => {
  for (const [vendor, names] of Object.entries(WITHOUT_PROFILE)) {
    for (const name of names) {
      it(`${vendor} ${name}: both polls read the golden counters from standard objects, with no problem`, async () => {
        for (const snap of await pollTwice(name)) {
          expect(snap.counters, name).toEqual(goldenCounters(name));
          for (const [key, origin] of Object.entries(snap.counterProvenance?.origins ?? {})) expect(origin.source, `${name} ${key}`).toMatch(STANDARD_SOURCE);
          expect(snap.counterProvenance?.problems ?? [], name).toEqual([]);
        }
      });
    }
  }
});
