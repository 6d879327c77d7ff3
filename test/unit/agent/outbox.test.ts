import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Outbox, OutboxLockedError, type OutboxRecord } from '../../../agent/outbox/outbox.js';
import { encodeRecord, scanRecords, type StoredMessage } from '../../../agent/outbox/recordFormat.js';
import { makeTempDir } from '../../harness/peers.js';

const dirs: { remove: () => void }[] = [];
function tempDir(): string {
  const d = makeTempDir('outbox');
  dirs.push(d);
  return d.path;
}
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

let counter = 0;
function msg(deviceId: string, seq: number, pad = 0): StoredMessage {
  counter++;
  return {
    topic: `fleetdesk/v1/t/a/devices/${deviceId}/events`,
    message: { id: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`, deviceId, seq, pad: 'x'.repeat(pad) },
  };
}

function drain(box: Outbox, ack = true, limit = 100_000): OutboxRecord[] {
  const out: OutboxRecord[] = [];
  for (let i = 0; i < limit; i++) {
    const r = box.next();
    if (!r) break;
    out.push(r);
    if (ack) box.ack(r);
  }
  return out;
}

describe('record format', () => {
  it('round-trips and resynchronises after damage', () => {
    const a = encodeRecord(msg('d1', 1));
    const b = encodeRecord(msg('d1', 2));
    const c = encodeRecord(msg('d1', 3));
    const damaged = Buffer.concat([a, b, c]);
    damaged[a.length + 12] = damaged[a.length + 12]! ^ 0xff; // flip a byte inside b's payload
    const scan = scanRecords(damaged);
    expect(scan.records.map((r) => r.item.message.seq)).toEqual([1, 3]);
    expect(scan.badRanges).toHaveLength(1);
    expect(scan.badRanges[0]!.reason).toMatch(/checksum mismatch in record at byte \d+/);
    expect(scanRecords(Buffer.concat([a, b.subarray(0, 20)])).badRanges[0]!.reason).toMatch(/cut short/);
  });
});

describe('outbox', () => {
  it('keeps order and survives a reopen without close (as after SIGKILL)', () => {
    const dir = tempDir();
    const box = Outbox.open({ dir, maxBytes: 10 * 1024 * 1024 });
    for (let i = 1; i <= 50; i++) expect(box.append('events', [msg(`d${i % 3}`, i)]).persisted).toBe(true);
    box.append('telemetry', [msg('d1', 100)]);
    // no close(): the process "dies"; the LOCK names our own pid, which a reopen accepts
    const again = Outbox.open({ dir, maxBytes: 10 * 1024 * 1024 });
    const got = drain(again);
    expect(got.map((r) => r.message.seq)).toEqual([...Array.from({ length: 50 }, (_, i) => i + 1), 100]);
    expect(got.map((r) => r.lane).at(-1)).toBe('telemetry');
    expect(again.recoveredSeq.get('d1')).toBe(100);
    expect(again.stats().records).toBe(0);
  });

  it('removes records only after ack and re-sends unacknowledged ones after a restart', () => {
    const dir = tempDir();
    const box = Outbox.open({ dir, maxBytes: 1 << 20 });
    box.append('events', [msg('d', 1), msg('d', 2), msg('d', 3)]);
    const first = box.next()!;
    box.ack(first);
    const second = box.next()!; // handed out, never acknowledged
    expect(second.message.seq).toBe(2);
    box.checkpoint();
    const again = Outbox.open({ dir, maxBytes: 1 << 20 });
    expect(drain(again).map((r) => r.message.seq)).toEqual([2, 3]);
  });

  it('retry() hands a failed record and its successors out again, in order', () => {
    const box = Outbox.open({ dir: tempDir(), maxBytes: 1 << 20 });
    box.append('events', [msg('d', 1), msg('d', 2), msg('d', 3)]);
    const r1 = box.next()!;
    const r2 = box.next()!;
    box.next();
    box.ack(r1);
    box.retry(r2);
    expect(drain(box).map((r) => r.message.seq)).toEqual([2, 3]);
  });

  it('deletes fully acknowledged segments and rotates by size', () => {
    const dir = tempDir();
    const box = Outbox.open({ dir, maxBytes: 1 << 24, segmentBytes: 2048 });
    for (let i = 0; i < 40; i++) box.append('events', [msg('d', i, 200)]);
    expect(readdirSync(join(dir, 'events')).length).toBeGreaterThan(3);
    drain(box);
    expect(readdirSync(join(dir, 'events')).length).toBeLessThanOrEqual(1);
    expect(box.stats().records).toBe(0);
  });

  it('reads segments that wait on disk lazily, in order', () => {
    const dir = tempDir();
    const box = Outbox.open({ dir, maxBytes: 1 << 24, segmentBytes: 1024 });
    for (let i = 0; i < 30; i++) box.append('events', [msg('d', i, 300)]);
    const again = Outbox.open({ dir, maxBytes: 1 << 24, segmentBytes: 1024 });
    expect(drain(again).map((r) => r.message.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('drops the oldest telemetry first when full, never events, and warns near full', () => {
    const dir = tempDir();
    const box = Outbox.open({ dir, maxBytes: 20_000, segmentBytes: 2_000 });
    for (let i = 0; i < 5; i++) box.append('events', [msg('e', i, 500)]);
    for (let i = 0; i < 60; i++) box.append('telemetry', [msg('t', i, 500)]);
    const s = box.stats();
    expect(s.bytes).toBeLessThanOrEqual(20_000);
    expect(s.droppedTelemetry).toBeGreaterThan(0);
    expect(s.nearFull).toBe(true);
    const got = drain(box);
    const events = got.filter((r) => r.lane === 'events').map((r) => r.message.seq);
    const telemetry = got.filter((r) => r.lane === 'telemetry').map((r) => r.message.seq as number);
    expect(events).toEqual([0, 1, 2, 3, 4]);
    expect(telemetry.at(-1)).toBe(59); // newest kept
    expect(telemetry[0]).toBeGreaterThan(0); // oldest gone
    expect([...telemetry].sort((a, b) => a - b)).toEqual(telemetry);
  });

  it('accepts events beyond the budget and says so', () => {
    const box = Outbox.open({ dir: tempDir(), maxBytes: 3_000 });
    for (let i = 0; i < 10; i++) expect(box.append('events', [msg('e', i, 500)]).persisted).toBe(true);
    expect(box.stats().overBudget).toBe(true);
    expect(drain(box)).toHaveLength(10);
  });

  it('quarantines a corrupt segment, keeps its good records and reports it', () => {
    const dir = tempDir();
    const box = Outbox.open({ dir, maxBytes: 1 << 20 });
    box.append('events', [msg('d', 1), msg('d', 2), msg('d', 3)]);
    box.close();
    const [name] = readdirSync(join(dir, 'events'));
    const path = join(dir, 'events', name!);
    const buf = readFileSync(path);
    buf[buf.length - 5] = 0x00; // damage record 3
    writeFileSync(path, buf);
    appendFileSync(path, Buffer.from('garbage tail'));
    const again = Outbox.open({ dir, maxBytes: 1 << 20 });
    expect(again.problems).toHaveLength(1);
    expect(again.problems[0]!.recoveredRecords).toBe(2);
    expect(again.problems[0]!.reason).toMatch(/checksum|cut short|implausible/);
    expect(existsSync(again.problems[0]!.quarantinedAs)).toBe(true);
    expect(readdirSync(join(dir, 'quarantine'))).toHaveLength(1);
    expect(drain(again).map((r) => r.message.seq)).toEqual([1, 2]);
    expect(again.stats().quarantined).toBe(1);
  });

  it('a file of pure garbage is quarantined, not crashed on', () => {
    const dir = tempDir();
    Outbox.open({ dir, maxBytes: 1 << 20 }).close();
    writeFileSync(join(dir, 'events', '000000000007.seg'), Buffer.from('\x00\x00\x10\x00not a record at all'));
    writeFileSync(join(dir, 'acked.json'), '{broken');
    const box = Outbox.open({ dir, maxBytes: 1 << 20 });
    expect(box.problems[0]).toMatchObject({ recoveredRecords: 0 });
    expect(box.next()).toBeUndefined();
    expect(box.append('events', [msg('d', 1)]).persisted).toBe(true);
  });

  it('on a full disk it reports the error, keeps the records in memory in order, and recovers', () => {
    let full = true;
    const box = Outbox.open({
      dir: tempDir(),
      maxBytes: 1 << 20,
      writeFile: (fd, data) => {
        if (full) throw Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });
        appendFileSync(fd, data);
      },
    });
    const r = box.append('events', [msg('d', 1)]);
    expect(r.persisted).toBe(false);
    expect(r.error).toMatch(/ENOSPC/);
    box.append('events', [msg('d', 2)]);
    expect(box.stats()).toMatchObject({ writeErrors: 2, records: 2 });
    full = false;
    expect(box.append('events', [msg('d', 3)]).persisted).toBe(true);
    expect(drain(box).map((x) => x.message.seq)).toEqual([1, 2, 3]);
  });

  it('refuses an outbox held by another live process', () => {
    const dir = tempDir();
    Outbox.open({ dir, maxBytes: 1 << 20 }).close();
    writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
    expect(() => Outbox.open({ dir, maxBytes: 1 << 20 })).toThrow(OutboxLockedError);
  });
});
