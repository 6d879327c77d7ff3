/**
 * Outbox benchmark: how many events per second the agent can queue durably while the broker is
 * down (each append fsynced, as the agent does for events), and how fast the backlog drains to
 * a real Mosquitto when it returns (QoS 1, window of 64, PUBACK before removal).
 *
 *   node --import tsx bench/outbox-throughput.ts [events=20000] [seconds=20]
 *
 * Bounded: at most `events` events and `seconds` per phase. Prints one JSON line.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Outbox } from '../agent/outbox/outbox.js';
import { Publisher } from '../agent/publish/publisher.js';
import { systemClock } from '../shared/clock.js';
import { createLogger } from '../shared/logging.js';
import { envelope } from '../shared/wire/codec.js';
import type { DeviceEventMessage } from '../shared/wire/messages.js';
import { deviceTopic } from '../shared/wire/topics.js';
import { makeTempDir, startMosquitto } from '../test/harness/peers.js';

const maxEvents = Number(process.argv[2] ?? 20_000);
const maxSeconds = Number(process.argv[3] ?? 20);

function event(i: number): { topic: string; message: DeviceEventMessage } {
  const deviceId = `dev-${String(i % 500).padStart(4, '0')}`;
  const message: DeviceEventMessage = {
    ...envelope(new Date(), 'bench', 'a1'),
    type: 'device.event',
    deviceId,
    seq: i,
    event: {
      kind: 'fault.raised',
      fault: { code: 'jam', severity: 'critical', source: 'prtAlert', message: 'Paper jam in tray 2', subunit: { group: 'mediaPath', index: 2 } },
      firstSeen: new Date().toISOString(),
    },
  };
  return { topic: deviceTopic('bench', 'a1', deviceId, 'events'), message };
}

const tmp = makeTempDir('bench-outbox');
const broker = await startMosquitto();
try {
  const outbox = Outbox.open({ dir: join(tmp.path, 'outbox'), maxBytes: 1024 ** 3 });

  // Phase 1: broker "down" (publisher not started): append + fsync per event.
  const deadline1 = performance.now() + maxSeconds * 1000;
  const t1 = performance.now();
  let queued = 0;
  while (queued < maxEvents && performance.now() < deadline1) {
    const r = outbox.append('events', [event(queued)]);
    if (!r.persisted) throw new Error(r.error);
    queued++;
  }
  const queueSeconds = (performance.now() - t1) / 1000;
  const bytes = outbox.stats().bytes;

  // Phase 1b: telemetry while the broker is down (fsync at most once a second, as configured by default).
  const telemetryBox = Outbox.open({ dir: join(tmp.path, 'telemetry'), maxBytes: 1024 ** 3, telemetryFsyncMs: 1000 });
  const t1b = performance.now();
  let telemetry = 0;
  while (telemetry < maxEvents * 10 && performance.now() < t1b + maxSeconds * 1000) {
    telemetryBox.append('telemetry', [event(telemetry)]);
    telemetry++;
  }
  const telemetrySeconds = (performance.now() - t1b) / 1000;
  telemetryBox.close();

  // Phase 2: the broker is there: drain.
  const publisher = new Publisher({
    broker: { url: broker.url, insecureSkipVerify: false, keepaliveSeconds: 30, clientId: `bench-${process.pid}` },
    tenant: 'bench',
    agentId: 'a1',
    version: 'bench',
    startedAt: new Date(),
    clock: systemClock,
    log: createLogger({ name: 'bench', level: 'silent', format: 'json' }),
    outbox,
  });
  const t2 = performance.now();
  publisher.start();
  const deadline2 = t2 + maxSeconds * 1000;
  while (outbox.stats().records > 0 && performance.now() < deadline2) {
    await new Promise((r) => setTimeout(r, 20));
    publisher.kick();
  }
  const drainSeconds = (performance.now() - t2) / 1000;
  const left = outbox.stats().records;
  await publisher.stop(1000);
  outbox.close();
  console.log(
    JSON.stringify({
      eventsQueued: queued,
      queueSeconds: Number(queueSeconds.toFixed(2)),
      queuedPerSecond: Math.round(queued / queueSeconds),
      bytesPerEvent: Math.round(bytes / queued),
      telemetryQueuedPerSecond: Math.round(telemetry / telemetrySeconds),
      drained: queued - left,
      drainSeconds: Number(drainSeconds.toFixed(2)),
      drainedPerSecond: Math.round((queued - left) / drainSeconds),
      leftInOutbox: left,
    }),
  );
} finally {
  await broker.stop();
  tmp.remove();
}
