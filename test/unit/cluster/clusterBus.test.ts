import { describe, expect, it } from 'vitest';
import { LiveUpdates, liveNote, type LiveSink } from '../../../server/api/liveUpdates.js';
import type { Principal } from '../../../server/auth/apiTokens.js';
import { MAX_NOTE_BYTES, packNotes, unpackNotes, type BusNote, type ClusterBus } from '../../../server/cluster/clusterBus.js';
import type { Repository } from '../../../server/storage/repository.js';
import { ManualClock } from '../../harness/manualClock.js';

/** Instances on one in-memory channel; like NOTIFY, every listener gets every note (the bus filters its own). */
class Hub {
  readonly buses: MemoryBus[] = [];
  join(id: string): MemoryBus {
    const b = new MemoryBus(id, this);
    this.buses.push(b);
    return b;
  }
}
class MemoryBus implements ClusterBus {
  private readonly handlers = new Set<(n: BusNote, from: string) => void>();
  constructor(
    readonly instanceId: string,
    private readonly hub: Hub,
  ) {}
  publish(note: BusNote): boolean {
    const packed = packNotes(this.instanceId, 1, [note]);
    for (const payload of packed.payloads)
      for (const b of this.hub.buses) {
        const u = unpackNotes(payload)!;
        if (u.from === b.instanceId) continue;
        for (const n of u.notes) for (const h of b.handlers) h(n, u.from);
      }
    return packed.tooBig.length === 0;
  }
  subscribe(handler: (n: BusNote, from: string) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class Sink implements LiveSink {
  chunks: string[] = [];
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  close(): void {}
  events(): string[] {
    return this.chunks.flatMap((c) => /^event: (.+)$/m.exec(c)?.[1] ?? []);
  }
  data(): unknown[] {
    return this.chunks.flatMap((c) => /^data: (.+)$/m.exec(c)?.[1] ?? []).map((d) => JSON.parse(d) as unknown);
  }
}

const admin: Principal = { tokenId: 'a', name: 'a', role: 'admin', customerId: null };
const acme: Principal = { tokenId: 'c', name: 'c', role: 'customer', customerId: 'acme' };

describe('packNotes / unpackNotes', () => {
  it('packs many notes into few payloads, each under the NOTIFY limit and distinct', () => {
    const notes: BusNote[] = Array.from({ length: 500 }, (_, i) => ({ kind: 'due', body: 1_767_600_000_000 + i }));
    const { payloads, tooBig, nextSeq } = packNotes('inst-a', 7, notes);
    expect(tooBig).toEqual([]);
    expect(payloads.length).toBeGreaterThan(1);
    expect(payloads.length).toBeLessThan(10);
    expect(nextSeq).toBe(7 + payloads.length);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_NOTE_BYTES);
    expect(new Set(payloads).size).toBe(payloads.length);
    const back = payloads.flatMap((p) => unpackNotes(p)!.notes);
    expect(back).toEqual(notes);
    expect(unpackNotes(payloads[0]!)!.from).toBe('inst-a');
  });

  it('counts multi-byte text in bytes and returns a note that can never fit', () => {
    const big: BusNote = { kind: 'live', body: 'ż'.repeat(MAX_NOTE_BYTES / 2) };
    const small: BusNote = { kind: 'live', body: 'ok' };
    const { payloads, tooBig } = packNotes('x', 1, [big, small]);
    expect(tooBig).toEqual([big]);
    expect(payloads.flatMap((p) => unpackNotes(p)!.notes)).toEqual([small]);
  });

  it('ignores payloads that are not notes', () => {
    expect(unpackNotes('hello')).toBeUndefined();
    expect(unpackNotes('{"from":1}')).toBeUndefined();
    expect(unpackNotes('{"from":"a","notes":[{"kind":"x","body":1},7,{"nokind":1}]}')!.notes).toEqual([{ kind: 'x', body: 1 }]);
  });
});

describe('liveNote', () => {
  it('keeps small events whole', () => {
    const n = liveNote('fleet.faultRaised', 'acme', null, { deviceKey: 'acme/sn:1', fault: { code: 'paper.jam' } });
    expect(n.body).toEqual({ type: 'fleet.faultRaised', customerId: 'acme', ticket: null, data: { deviceKey: 'acme/sn:1', fault: { code: 'paper.jam' } } });
  });
  it('shortens the device list of a huge agent-offline event to fit, saying how many there were', () => {
    const devices = Array.from({ length: 2000 }, (_, i) => `acme/sn:PRINTER-${String(i).padStart(6, '0')}`);
    const n = liveNote('fleet.agentOffline', 'acme', null, { agent: 'acme/a1', reason: 'will', devices });
    expect(Buffer.byteLength(JSON.stringify(n))).toBeLessThanOrEqual(MAX_NOTE_BYTES - 200);
    const data = (n.body as { data: { devices: string[]; devicesTotal: number; truncated: boolean; agent: string } }).data;
    expect(data.devicesTotal).toBe(2000);
    expect(data.truncated).toBe(true);
    expect(data.agent).toBe('acme/a1');
    expect(data.devices.length).toBeGreaterThan(50);
    expect(data.devices).toEqual(devices.slice(0, data.devices.length));
  });
});

describe('LiveUpdates across instances', () => {
  it('delivers an event published on one instance to the clients of every instance exactly once', () => {
    const hub = new Hub();
    const repo = {} as Repository;
    const instances = ['a', 'b', 'c'].map((id) => {
      const bus = hub.join(id);
      const live = new LiveUpdates({ repo, clock: new ManualClock(), bus });
      live.attachToBus(bus);
      const adminSink = new Sink();
      const acmeSink = new Sink();
      live.connect(admin, adminSink);
      live.connect(acme, acmeSink);
      return { live, adminSink, acmeSink };
    });
    instances[1]!.live.publish('fleet.faultRaised', 'acme', null, { deviceKey: 'acme/sn:1' });
    instances[2]!.live.publish('ticket.opened', 'globex', { assignee: null }, { ticketId: 'T000001' });
    for (const i of instances) {
      expect(i.adminSink.events()).toEqual(['fleet.faultRaised', 'ticket.opened']);
      expect(i.acmeSink.events()).toEqual(['fleet.faultRaised']);
      expect(i.adminSink.data()).toEqual([{ deviceKey: 'acme/sn:1' }, { ticketId: 'T000001' }]);
    }
  });
});
