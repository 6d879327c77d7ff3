/**
 * What device history costs (issue 9): hot bytes per device, and ingest throughput with the
 * history recorder, forecasts and order tickets attached versus without.
 *
 * A fleet of colour MFPs (4 toners + drum + waste box, page counter) reports telemetry every
 * `--poll-min` minutes for `--days` simulated days; toners drain 1.5–4 % per working day (08–16,
 * Mon–Fri) and are replaced at 3 %, so forecasts, orders and replacements all happen. The same
 * stream goes through the real Ingest (JournaledStore on a temp dir, one transaction per batch of
 * `--batch` messages) twice: without and with history. Reported: messages/s of each run (wall
 * and CPU), history writes, archived chunks, orders opened/closed, and the hot JSON bytes per
 * device of the history records at the end (supply tracks, counters, fault timeline).
 *
 *   npx tsx bench/historyCost.ts [--devices 200] [--days 60] [--poll-min 15] [--batch 200]
 *
 * Bounded: the message count is devices × days × 24 × 60 / poll-min, and each run stops after 120 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Clock, TimerHandle } from '../shared/clock.js';
import { createLogger } from '../shared/logging.js';
import { encodeMessage } from '../shared/wire/codec.js';
import type { WireMessage } from '../shared/wire/messages.js';
import { deviceTopic } from '../shared/wire/topics.js';
import { FleetEventBus } from '../server/events/fleetEvents.js';
import { FleetDirectory, FleetSettings } from '../server/fleet/fleetModel.js';
import { ForecastService } from '../server/forecast/forecastService.js';
import { HISTORY_COLLECTIONS } from '../server/history/deviceHistory.js';
import { HistoryRecorder } from '../server/history/historyRecorder.js';
import { ServerMetrics } from '../server/http/metrics.js';
import { DEFAULT_IMPACT_SETTINGS } from '../server/impact/impactRules.js';
import { Ingest } from '../server/ingest/ingest.js';
import { presetContract } from '../server/sla/presets.js';
import { JournaledStore } from '../server/storage/journaledStore.js';
import { StoredTicketRepository } from '../server/tickets/ticketRepository.js';
import { TicketService } from '../server/tickets/ticketService.js';
import { seededRandom } from '../test/harness/seededRandom.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '200' },
    days: { type: 'string', default: '60' },
    'poll-min': { type: 'string', default: '15' },
    batch: { type: 'string', default: '200' },
  },
});
const DEVICES = Number(values.devices);
const DAYS = Number(values.days);
const POLL = Number(values['poll-min']) * 60_000;
const BATCH = Number(values.batch);
const RUN_LIMIT_MS = 120_000;
const START = Date.parse('2026-01-12T00:00:00Z');

/** Simulated time: messages are stamped with it; the server's clock follows the stream. */
class StreamClock implements Clock {
  t = START;
  now(): number {
    return this.t;
  }
  setTimeout(): TimerHandle {
    return { id: 0 };
  }
  clearTimeout(): void {}
}

const SUPPLIES = [
  { index: 1, name: 'Black Toner', kind: 'toner' as const, color: 'black', receptacle: false },
  { index: 2, name: 'Cyan Toner', kind: 'toner' as const, color: 'cyan', receptacle: false },
  { index: 3, name: 'Magenta Toner', kind: 'toner' as const, color: 'magenta', receptacle: false },
  { index: 4, name: 'Yellow Toner', kind: 'toner' as const, color: 'yellow', receptacle: false },
  { index: 5, name: 'Drum Unit', kind: 'drum' as const, color: null, receptacle: false },
  { index: 6, name: 'Waste Toner Box', kind: 'waste' as const, color: null, receptacle: true },
];

/** Working-day share printed between two instants (08–16 UTC+1, Mon–Fri). */
function printedBetween(a: number, b: number): number {
  let total = 0;
  for (let t = a; t < b; t += 15 * 60_000) {
    const d = DateTime.fromMillis(t, { zone: 'Europe/Warsaw' });
    if (d.weekday <= 5 && d.hour >= 8 && d.hour < 16) total += Math.min(15 * 60_000, b - t) / (8 * 3_600_000);
  }
  return total;
}

function* stream(): Generator<{ topic: string; payload: Uint8Array; at: number }> {
  const random = seededRandom(20261121);
  const state = Array.from({ length: DEVICES }, () => ({
    use: SUPPLIES.map((s) => (s.kind === 'drum' ? 0.3 : s.receptacle ? 0.8 : 1.5 + random() * 2.5)),
    level: SUPPLIES.map((s) => (s.receptacle ? random() * 50 : 20 + random() * 80)),
    pages: 10_000 + Math.floor(random() * 100_000),
    ppd: 100 + Math.floor(random() * 300),
  }));
  for (let t = START, step = 0; t < START + DAYS * 86_400_000; t += POLL, step++) {
    const share = printedBetween(t - POLL, t);
    for (let d = 0; d < DEVICES; d++) {
      const s = state[d]!;
      s.pages += Math.round(share * s.ppd);
      const supplies = SUPPLIES.map((sup, i) => {
        const noise = (random() - 0.5) * 0.6;
        if (sup.receptacle) {
          s.level[i] = Math.min(100, s.level[i]! + share * s.use[i]!);
          if (s.level[i] >= 97) s.level[i] = 0;
        } else {
          s.level[i] = Math.max(0, s.level[i]! - share * s.use[i]!);
          if (s.level[i] <= 3 && random() < 0.02) s.level[i] = 100;
        }
        const level = Math.round(Math.min(100, Math.max(0, s.level[i] + noise)));
        const st = sup.receptacle ? (level >= 100 ? 'full' : level >= 90 ? 'nearFull' : 'ok') : level <= 0 ? 'empty' : level <= 10 ? 'low' : 'ok';
        return { index: sup.index, kind: sup.kind, color: sup.color, levelPercent: level, state: st as 'ok' };
      });
      const ts = new Date(t + d * 100).toISOString();
      const env = { v: 1 as const, id: randomUUID(), ts, tenant: 'acme', agentId: `a${d % 10}` };
      const msg: WireMessage =
        step === 0
          ? {
              ...env,
              type: 'device.state',
              deviceId: `p${d}`,
              seq: step,
              snapshot: {
                address: `192.0.2.${d % 250}`,
                protocols: ['snmp'],
                collectedAt: ts,
                identity: { vendor: 'Kyocera', model: 'TASKalfa 2554ci', serial: `SN${d}` },
                status: 'idle',
                faults: [],
                supplies: supplies.map((x, i) => ({
                  ...x,
                  name: SUPPLIES[i]!.name,
                  partNumber: `TK-8345${'KCMY'[i] ?? ''}`,
                  raw: { level: x.levelPercent, max: 100, unit: 19, class: SUPPLIES[i]!.receptacle ? 4 : 3, type: 3 },
                })),
                inputs: [],
                counters: { total: s.pages },
              },
            }
          : { ...env, type: 'device.telemetry', deviceId: `p${d}`, seq: step, status: 'idle', supplies, counters: { total: s.pages } };
      yield { topic: deviceTopic('acme', env.agentId, `p${d}`, step === 0 ? 'state' : 'telemetry'), payload: encodeMessage(msg), at: t + d * 100 };
    }
  }
}

async function run(withHistory: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'fleetdesk-bench-history-'));
  const logger = createLogger({ name: 'bench', level: 'silent' });
  const store = new JournaledStore({ dir });
  await store.open();
  const clock = new StreamClock();
  const events = new FleetEventBus(logger);
  const directory = new FleetDirectory(FleetSettings.parse({}));
  const ingest = new Ingest({
    repo: store,
    directory,
    impact: DEFAULT_IMPACT_SETTINGS,
    events,
    clock,
    logger,
    metrics: new ServerMetrics(),
    maxPayloadBytes: 256 * 1024,
  });
  let recorder: HistoryRecorder | undefined;
  let forecasts: ForecastService | undefined;
  if (withHistory) {
    const tickets = new TicketService({
      repository: new StoredTicketRepository(store),
      clock,
      contractFor: presetContract,
      defaultContractId: 'device-vendor',
    });
    tickets.attachToFleetEvents(events);
    recorder = new HistoryRecorder({ logger });
    forecasts = new ForecastService({
      repo: store,
      clock,
      tickets,
      directory,
      contractOf: () => presetContract('device-vendor'),
      logger,
      afterCommit: (tx, effect) => events.afterCommit(tx, effect),
    });
    if (process.env.NO_FORECAST !== '1') forecasts.attach(recorder);
    recorder.attach(events);
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let batch: { topic: string; payload: Uint8Array }[] = [];
  let messages = 0;
  let stopped = false;
  for (const m of stream()) {
    clock.t = m.at;
    batch.push(m);
    if (batch.length >= BATCH) {
      await ingest.handleBatch(batch);
      messages += batch.length;
      batch = [];
      if (performance.now() - t0 > RUN_LIMIT_MS) {
        stopped = true;
        break;
      }
    }
  }
  if (batch.length > 0) {
    await ingest.handleBatch(batch);
    messages += batch.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const bytes = async (collection: string): Promise<number> =>
    (await store.list<unknown>(collection)).reduce((sum: number, r) => sum + JSON.stringify(r).length, 0);
  const hot = {
    supplies: await bytes(HISTORY_COLLECTIONS.supplies),
    counters: await bytes(HISTORY_COLLECTIONS.counters),
    faults: await bytes(HISTORY_COLLECTIONS.faults),
  };
  const devicesBytes = await bytes('devices');
  const supplyRecords = (await store.list<{ t: number[] }>(HISTORY_COLLECTIONS.supplies)).map((r) => r.t.length);
  await store.compactNow();
  const snapshotBytes = store.stats().snapshotBytes;
  const written = store.stats().bytesWritten;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    withHistory,
    messages,
    stopped,
    seconds,
    perSecond: messages / seconds,
    perCpuSecond: messages / cpuSeconds,
    hot,
    devicesBytes,
    snapshotBytes,
    written,
    maxPoints: Math.max(0, ...supplyRecords),
    meanPoints: supplyRecords.length ? supplyRecords.reduce((a, b) => a + b, 0) / supplyRecords.length : 0,
    recorder: recorder?.stats,
    forecasts: forecasts?.stats,
  };
}

const base = await run(false);
const hist = await run(true);
const perDevice = (hist.hot.supplies + hist.hot.counters + hist.hot.faults) / DEVICES;
console.log(JSON.stringify({ devices: DEVICES, days: DAYS, pollMinutes: POLL / 60_000, batch: BATCH, base, hist }, null, 2));
console.log(
  `\nwithout history: ${base.messages} msgs, ${base.perSecond.toFixed(0)} msg/s wall, ${base.perCpuSecond.toFixed(0)} msg/CPU-s; hot.json ${(base.snapshotBytes / 1e6).toFixed(2)} MB; ${(base.written / 1e6).toFixed(1)} MB written`,
);
console.log(
  `with history:    ${hist.messages} msgs, ${hist.perSecond.toFixed(0)} msg/s wall, ${hist.perCpuSecond.toFixed(0)} msg/CPU-s; hot.json ${(hist.snapshotBytes / 1e6).toFixed(2)} MB; ${(hist.written / 1e6).toFixed(1)} MB written`,
);
console.log(
  `history hot bytes per device: ${perDevice.toFixed(0)} (supplies ${(hist.hot.supplies / DEVICES).toFixed(0)}, counters ${(hist.hot.counters / DEVICES).toFixed(0)}, faults ${(hist.hot.faults / DEVICES).toFixed(0)}); device record ${(hist.devicesBytes / DEVICES).toFixed(0)} B; points per supply mean ${hist.meanPoints.toFixed(0)}, max ${hist.maxPoints}`,
);
console.log(`×10,000 devices: ${((perDevice * 10_000) / 1e6).toFixed(0)} MB of history in the hot file`);
