/**
 * Meters: (1) what meter collection adds to one device poll, same device, same run; (2) the
 * meter export of one period with 10,000 devices × 12 periods stored.
 *
 * (1) Devices with a vendor counter table (the simulated hp-color-laser, konica-mfp, ricoh-mfp,
 * kyocera-mono-mfp, epson-inkjet and canon-inkjet, whose tables advance as they print; the Sharp
 * recording with the corpus's largest table; the Kyocera and Epson walks of
 * test/golden/vendor-walks), each polled as the runtime polls (collect with the previous collection, then normalise), in
 * alternating pairs: with the vendor counter walk (today's agent) and without it (the agent before
 * meters read vendor tables; prtMarkerLifeCount is read either way). CPU of this process per poll.
 *
 * (2) 10,000 devices × 13 period records (12 periods and the next one's openings), 6 counters
 * each, with their sources, in memory as the store's list() returns them: index the records of
 * the range and write the Polish CSV as the UTF-8 chunks the API streams. Wall time of
 * one period's export, of the 12 periods one by one, and of the 12 as one range (from/to).
 *
 *   node --import tsx bench/meters.ts [polls=1000] [warmup=200] [parts=poll,export] [devices]
 *   (e.g. `0 0 export`; `devices`: comma-separated parts of the device names, e.g. `ricoh,canon`)
 *
 * Bounded: `warmup` + `polls` pairs of polls per device, 120 s of measuring per device at most.
 * Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { collectSnmp } from '../agent/collect/snmp/collector.js';
import type { RawSnmp } from '../agent/collect/snmp/raw.js';
import { openSession } from '../agent/collect/snmp/session.js';
import { normaliseSnmp } from '../agent/normalise/snmpSnapshot.js';
import { OID, type OidName } from '../mibs/oids.generated.js';
import { BillingSettings, nextPeriod } from '../server/meters/billingPeriod.js';
import type { MeterPeriod } from '../server/meters/meterLedger.js';
import { meterCsvBytes } from '../server/meters/meterCsv.js';
import { indexPeriodRecords, periodRange, type MeterDeviceInfo } from '../server/meters/meterExport.js';
import { freeUdpPort, makeTempDir } from '../test/harness/peers.js';
import { CORPUS_DIR } from '../test/harness/repo.js';

const polls = Number(process.argv[2] ?? 1000);
const warmup = Number(process.argv[3] ?? 200);
const parts = new Set((process.argv[4] ?? 'poll,export').split(','));
const only = process.argv[5]?.split(',');
const repoRoot = resolve(import.meta.dirname, '..');
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** The simulated models, in the simulator's order: device dev-000<i + 1> is model i. */
const MODELS = ['hp-color-laser', 'konica-mfp', 'ricoh-mfp', 'kyocera-mono-mfp', 'epson-inkjet', 'canon-inkjet'];
const WALKS = ['kyocera_taskalfa6052ci', 'epson_amc550'];

/**
 * The devices measured, one run: the simulated models with a vendor counter table, the Sharp
 * recording, whose counter column is the largest in the corpus (28 rows, 15 of them read), and
 * the public Kyocera and Epson walks.
 */
interface BenchDevice {
  readonly community: string;
  readonly what: string;
  readonly object: OidName;
}
const DEVICES: readonly BenchDevice[] = (
  [
    { community: 'dev-0001', what: 'hp-color-laser', object: 'hpPageCounters' },
    { community: 'dev-0002', what: 'konica-mfp', object: 'konicaCounters' },
    { community: 'dev-0003', what: 'ricoh-mfp', object: 'ricohEngCounter' },
    { community: 'dev-0004', what: 'kyocera-mono-mfp', object: 'kyoceraCounters' },
    { community: 'dev-0005', what: 'epson-inkjet', object: 'epsonCounters' },
    { community: 'dev-0006', what: 'canon-inkjet', object: 'canonCounterValue' },
    { community: 'sharp', what: 'sharp.snmprec (recording)', object: 'sharpCounterValue' },
    { community: 'kyocera_taskalfa6052ci', what: 'kyocera_taskalfa6052ci (walk)', object: 'kyoceraCounters' },
    { community: 'epson_amc550', what: 'epson_amc550 (walk)', object: 'epsonCounters' },
  ] satisfies BenchDevice[]
).filter((d) => !only || only.some((o) => d.what.includes(o)));

async function pollCost(): Promise<Array<Record<string, number | string>>> {
  const snmpPort = await freeUdpPort();
  const recordings = makeTempDir('bench-meters');
  copyFileSync(join(CORPUS_DIR, 'snmprec', 'sharp.snmprec'), join(recordings.path, 'sharp.snmprec'));
  for (const w of WALKS) copyFileSync(join(repoRoot, 'test', 'golden', 'vendor-walks', `${w}.snmprec`), join(recordings.path, `${w}.snmprec`));
  const sim = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'bin/run.ts'),
      'simulate',
      '--devices',
      String(MODELS.length),
      '--models',
      MODELS.join(','),
      '--snmprec-dir',
      recordings.path,
      '--scenario',
      'toner-drain',
      '--snmp-port',
      String(snmpPort),
      '--no-ipp',
      '--json',
    ],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLEETDESK_LOG_LEVEL: 'warn' },
    },
  );
  try {
    await new Promise<void>((ok, fail) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error('simulator did not start')), 60_000);
      sim.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        try {
          JSON.parse(out.slice(out.indexOf('{')));
          clearTimeout(timer);
          ok();
        } catch {
          // not all of the JSON yet
        }
      });
    });
    const results: Array<Record<string, number | string>> = [];
    for (const device of DEVICES) results.push(await pollPairs(snmpPort, device));
    return results;
  } finally {
    sim.kill('SIGTERM');
    recordings.remove();
  }
}

/**
 * A and B alternate on the same device in the same run: a poll as the runtime does it (collect
 * with the previous collection, normalise), with and without the vendor counter walk.
 */
async function pollPairs(port: number, device: (typeof DEVICES)[number]): Promise<Record<string, number | string>> {
  const endpoint = {
    host: '127.0.0.1',
    port,
    credential: { version: '2c' as const, community: device.community },
    timeoutMs: 2000,
    retries: 1,
    maxInFlight: 2,
  };
  const transport = openSession(endpoint);
  const prev: Record<'with' | 'without', RawSnmp | undefined> = { with: undefined, without: undefined };
  const cpu: Record<'with' | 'without', number[]> = { with: [], without: [] };
  let counterRows = 0;
  let countersRead = 0;
  const requests: Record<'with' | 'without', number> = { with: 0, without: 0 };
  const poll = async (side: 'with' | 'without', measure: boolean) => {
    const c0 = process.cpuUsage();
    const raw = await collectSnmp(endpoint, prev[side], { transport, vendorCounters: side === 'with' });
    const snapshot = normaliseSnmp(raw.values, { address: raw.address, collectedAt: raw.collectedAt });
    if (measure) cpu[side].push(cpuMs(process.cpuUsage(c0)));
    prev[side] = raw;
    requests[side] = raw.requests;
    if (side === 'with') {
      counterRows = Object.keys(raw.values).filter((oid) => oid.startsWith(`${OID[device.object]}.`)).length;
      countersRead = Object.keys(snapshot.counters).length;
    }
  };
  try {
    for (let i = 0; i < warmup; i++) {
      await poll('with', false);
      await poll('without', false);
    }
    const deadline = performance.now() + 120_000;
    let n = 0;
    while (n < polls && performance.now() < deadline) {
      await poll(n % 2 === 0 ? 'with' : 'without', true);
      await poll(n % 2 === 0 ? 'without' : 'with', true);
      n++;
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // The median is robust to the garbage collections and preemptions of a shared machine.
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const withMs = mean(cpu.with);
    const withoutMs = mean(cpu.without);
    return {
      device: device.what,
      polls: n,
      vendorRowsWalked: counterRows,
      countersRead,
      requestsWithMeters: requests.with,
      requestsWithout: requests.without,
      pollCpuMsWithMeters: round(withMs),
      pollCpuMsWithout: round(withoutMs),
      added: round(withMs / withoutMs - 1),
      medianPollCpuMsWithMeters: round(median(cpu.with)),
      medianPollCpuMsWithout: round(median(cpu.without)),
      addedByMedian: round(median(cpu.with) / median(cpu.without) - 1),
    };
  } finally {
    transport.close();
  }
}

function exportCost(devices = 10_000, periods = 12): Record<string, number> {
  const settings = BillingSettings.parse({});
  const first = '2026-01';
  const labels = [first];
  for (let i = 1; i <= periods; i++) labels.push(nextPeriod(labels[i - 1]!));
  const records: MeterPeriod[] = [];
  const exact = (source: string) => ({ source, confidence: 'exact' as const });
  const origins = {
    total: exact('prtMarkerLifeCount.1.1'),
    mono: exact('sharpCounterValue.5.4.61'),
    color: { source: 'derived:total-mono', confidence: 'derived' as const },
    'print.mono': exact('sharpCounterValue.1.4.61'),
    'copy.mono': exact('sharpCounterValue.4.4.61'),
    'print.color.large': exact('sharpCounterValue.1.4.63'),
  };
  const info = new Map<string, MeterDeviceInfo>();
  for (let d = 0; d < devices; d++) {
    const deviceKey = `tenant${d % 50}/sn:SN${String(d).padStart(7, '0')}`;
    info.set(deviceKey, { deviceKey, customerId: `c${d % 50}`, serial: `SN${d}`, model: 'MX-3070' });
    labels.forEach((period, i) => {
      const base = d * 1000 + i * 3000;
      const counters = { total: base, mono: base - 100, color: 100, 'print.mono': base - 500, 'copy.mono': 400, 'print.color.large': 50 };
      records.push({
        deviceKey,
        customerId: `c${d % 50}`,
        period,
        opening: { at: Date.UTC(2026, i, 1, 1), counters, source: 'agent:t/a', origins },
        usage: { total: 3000, mono: 2900, color: 100 },
        flags: [],
      });
    });
  }
  // As the API does it: one pass over the store's records for the range, rows streamed as CSV chunks.
  const exportRange = (from: string, to: string) => {
    const periods = periodRange(from, to)!;
    const indexed = indexPeriodRecords(records, periods);
    const input = { periods, records: indexed, devices: info, settingsFor: () => settings, now: Date.UTC(2027, 6, 1) };
    let bytes = 0;
    // The UTF-8 chunks the HTTP reply streams.
    for (const chunk of meterCsvBytes(input, 'pl')) bytes += chunk.length;
    return bytes;
  };
  // Wall and CPU time: on a shared machine the CPU time of this process is the steadier figure.
  const timed = <T>(f: () => T): [T, number, number] => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const out = f();
    return [out, Math.round(performance.now() - t0), Math.round(cpuMs(process.cpuUsage(c0)))];
  };
  exportRange(first, first); // warm-up
  const [bytes, oneMs, oneCpuMs] = timed(() => exportRange('2026-06', '2026-06'));
  const [, oneByOneMs, oneByOneCpuMs] = timed(() => labels.slice(0, periods).forEach((p) => exportRange(p, p)));
  const [rangeBytes, rangeMs, rangeCpuMs] = timed(() => exportRange(first, labels[periods - 1]!));
  return {
    devices,
    periods,
    records: records.length,
    csvBytes: bytes,
    rangeCsvBytes: rangeBytes,
    onePeriodMs: oneMs,
    onePeriodCpuMs: oneCpuMs,
    twelvePeriodsOneByOneMs: oneByOneMs,
    twelvePeriodsOneByOneCpuMs: oneByOneCpuMs,
    twelvePeriodsAsRangeMs: rangeMs,
    twelvePeriodsAsRangeCpuMs: rangeCpuMs,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

const poll = parts.has('poll') ? await pollCost() : null;
const exp = parts.has('export') ? exportCost() : null;
process.stdout.write(`${JSON.stringify({ poll, export: exp })}\n`);
