import { afterEach, describe, expect, it } from 'vitest';
import { effectiveStatus, type AgentRecord, type DeviceRecord } from '../../../server/fleet/fleetModel.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { StoreFailedError, type Transaction } from '../../../server/storage/repository.js';
import type { WireMessage } from '../../../shared/wire/messages.js';
import { bindAll, makeKit, type Kit } from './serverTestKit.js';
import { bytes, clearedMsg, fault, raisedMsg, stateMsg, statusMsg, telemetryMsg, topicOf } from './wireFixtures.js';

let kit: Kit;
afterEach(async () => {
  await kit.close();
});

const send = (msg: WireMessage, sender?: { tenant: string; agentId: string }) => kit.ingest.handle(topicOf(msg), bytes(msg), sender);

const FLEET = {
  customers: { acme: { name: 'ACME sp. z o.o.', contract: 'standard', tenants: ['acme'], contact: { name: 'Jan Kowalski', email: 'jan@example.com' } } },
  sites: { 'acme-hq': { name: 'ACME HQ', customer: 'acme', agents: ['acme/a1'] }, 'acme-wro': { name: 'ACME Wrocław', customer: 'acme', agents: ['acme/a2'] } },
  criticalDevices: ['SN-CRIT'],
};

describe('ingest', () => {
  it('applies a snapshot and reports a raised fault with context, evidence and impact', async () => {
    kit = await makeKit(FLEET);
    expect(await send(statusMsg('acme', 'a1', 'online'), { tenant: 'acme', agentId: 'a1' })).toEqual({ outcome: 'accepted' });
    expect(await send(stateMsg('acme', 'a1', 'p1'))).toEqual({ outcome: 'accepted' });
    expect(await send(raisedMsg('acme', 'a1', 'p1', fault('jam')))).toEqual({ outcome: 'accepted' });
    const device = (await kit.store.get<DeviceRecord>('devices', 'acme/sn:sn-1'))!;
    expect(device.faults.map((f) => f.code)).toEqual(['jam']);
    expect(device.siteId).toBe('acme-hq');
    const raised = kit.events.find((e) => e.type === 'faultRaised');
    expect(raised).toMatchObject({
      type: 'faultRaised',
      device: {
        deviceKey: 'acme/sn:sn-1',
        siteId: 'acme-hq',
        siteName: 'ACME HQ',
        customer: { id: 'acme', contract: 'standard', contact: { name: 'Jan Kowalski' } },
        onlyDeviceOnSite: true,
      },
      fault: { code: 'jam' },
      impact: { level: 'critical', ruleId: 'stop-single-device' },
      evidence: { counters: { total: 1000 } },
    });
    expect(kit.events.map((e) => e.type)).toEqual(['agentOnline', 'faultRaised']);
  });

  it('classifies a jam as high when the site has another device, critical when the device is flagged', async () => {
    kit = await makeKit(FLEET);
    await send(stateMsg('acme', 'a1', 'p1'));
    await send(stateMsg('acme', 'a1', 'p2', { identity: { serial: 'SN-CRIT' } }));
    await send(raisedMsg('acme', 'a1', 'p1', fault('jam')));
    await send(raisedMsg('acme', 'a1', 'p2', fault('jam')));
    const impacts = kit.events.filter((e) => e.type === 'faultRaised').map((e) => (e.type === 'faultRaised' ? e.impact.ruleId : ''));
    expect(impacts).toEqual(['stop-with-alternatives', 'stop-critical-device']);
  });

  it('drops a repeated message id as a duplicate without changing anything', async () => {
    kit = await makeKit();
    const msg = raisedMsg('acme', 'a1', 'p1', fault('toner.empty'));
    expect(await send(msg)).toEqual({ outcome: 'accepted' });
    const before = kit.store.stats().commits;
    expect(await send(msg)).toEqual({ outcome: 'duplicate' });
    expect(kit.store.stats().commits).toBe(before);
    expect(kit.events.filter((e) => e.type === 'faultRaised')).toHaveLength(1);
    expect(kit.metrics.duplicates.get()).toBe(1);
  });

  it('rejects a message whose payload names another agent than the authenticated sender', async () => {
    kit = await makeKit();
    const v = await send(stateMsg('other', 'x9', 'p1'), { tenant: 'acme', agentId: 'a1' });
    expect(v).toMatchObject({ outcome: 'rejected', reason: 'not-authorized' });
    expect(await kit.store.list('devices')).toEqual([]);
    expect(kit.metrics.rejected.get({ reason: 'not-authorized' })).toBe(1);
  });

  it('rejects commands sent by agents and payloads on the wrong topic', async () => {
    kit = await makeKit();
    const cmd: WireMessage = {
      v: 1,
      id: '00000000-0000-4000-8000-0000000000aa',
      ts: '2026-01-05T08:00:00Z',
      tenant: 'acme',
      agentId: 'a1',
      type: 'agent.command',
      command: { name: 'discover' },
    };
    expect(await send(cmd)).toMatchObject({ outcome: 'rejected', reason: 'wrong-direction' });
    const state = stateMsg('acme', 'a1', 'p1');
    expect(await kit.ingest.handle('fleetdesk/v1/acme/a1/devices/p2/state', bytes(state))).toMatchObject({ outcome: 'rejected', reason: 'topic-mismatch' });
  });

  it('keeps a device that moved to another address and another agent as one device', async () => {
    kit = await makeKit(FLEET);
    await send(stateMsg('acme', 'a1', 'p1', { address: '192.0.2.10' }));
    await send(stateMsg('acme', 'a2', 'printer-7', { address: '198.51.100.7', collectedAt: '2026-01-05T09:00:00Z' }));
    const devices = await kit.store.list<DeviceRecord>('devices');
    expect(devices).toHaveLength(1);
    expect(devices[0]).toMatchObject({ address: '198.51.100.7', agentId: 'a2', siteId: 'acme-wro' });
    // events of the old agent id still find the same record
    await send(raisedMsg('acme', 'a2', 'printer-7', fault('door.open')));
    expect((await kit.store.list<DeviceRecord>('devices'))[0]!.faults.map((f) => f.code)).toEqual(['door.open']);
  });

  it('re-keys a device first known without identity once its serial arrives', async () => {
    kit = await makeKit();
    await send(raisedMsg('acme', 'a1', 'p1', fault('paper.empty')));
    expect((await kit.store.list<DeviceRecord>('devices')).map((d) => d.key)).toEqual(['acme/agent:a1/p1']);
    await send(stateMsg('acme', 'a1', 'p1', { identity: { serial: 'XYZ' }, faults: [fault('paper.empty')] }));
    const devices = await kit.store.list<DeviceRecord>('devices');
    expect(devices.map((d) => d.key)).toEqual(['acme/sn:xyz']);
    expect(devices[0]!.faults[0]!.firstSeen).toBe('2026-01-05T08:01:00Z');
  });

  it('ignores a snapshot older than the one already held (stale), but applies events', async () => {
    kit = await makeKit();
    await send(stateMsg('acme', 'a1', 'p1', { collectedAt: '2026-01-05T09:00:00Z' }));
    expect(await send(stateMsg('acme', 'a1', 'p1', { collectedAt: '2026-01-05T08:00:00Z', faults: [fault('jam')] }))).toEqual({ outcome: 'stale' });
    expect((await kit.store.list<DeviceRecord>('devices'))[0]!.faults).toEqual([]);
    await send(telemetryMsg('acme', 'a1', 'p1', 2000, '2026-01-05T09:10:00Z'));
    expect((await kit.store.list<DeviceRecord>('devices'))[0]!.counters.total).toBe(2000);
    await send(raisedMsg('acme', 'a1', 'p1', fault('jam')));
    await send(clearedMsg('acme', 'a1', 'p1', 'jam'));
    expect((await kit.store.list<DeviceRecord>('devices'))[0]!.faults).toEqual([]);
    expect(kit.events.map((e) => e.type)).toEqual(['agentOnline', 'faultRaised', 'faultCleared']);
  });

  it('turns an agent offline by its will: one agentOffline event listing its devices, which show as unknown', async () => {
    kit = await makeKit(FLEET);
    await send(statusMsg('acme', 'a1', 'online'));
    await send(stateMsg('acme', 'a1', 'p1'));
    await send(stateMsg('acme', 'a1', 'p2', { identity: { serial: 'SN-2' } }));
    kit.clock.set('2026-01-05T08:10:00Z');
    await send(statusMsg('acme', 'a1', 'offline', '2026-01-05T08:10:00Z'));
    const off = kit.events.filter((e) => e.type === 'agentOffline');
    expect(off).toHaveLength(1);
    expect(off[0]).toMatchObject({ reason: 'will', impact: { level: 'critical', ruleId: 'device-down' } });
    expect(off[0]!.type === 'agentOffline' && off[0]!.devices.map((d) => d.deviceKey).sort()).toEqual(['acme/sn:sn-1', 'acme/sn:sn-2']);
    const agent = await kit.store.get<AgentRecord>('agents', 'acme/a1');
    const device = (await kit.store.get<DeviceRecord>('devices', 'acme/sn:sn-1'))!;
    expect(effectiveStatus(device, agent)).toBe('unknown');
    // an older birth arriving late does not flip it back
    expect(await send(statusMsg('acme', 'a1', 'online', '2026-01-05T08:05:00Z'))).toEqual({ outcome: 'stale' });
  });

  it('marks a silent agent offline after the staleness period, once', async () => {
    kit = await makeKit();
    await send(statusMsg('acme', 'a1', 'online'));
    kit.clock.advance(4 * 60_000);
    expect(await kit.ingest.markStaleAgents(5 * 60_000)).toBe(0);
    kit.clock.advance(2 * 60_000);
    expect(await kit.ingest.markStaleAgents(5 * 60_000)).toBe(1);
    expect(await kit.ingest.markStaleAgents(5 * 60_000)).toBe(0);
    expect(kit.events.filter((e) => e.type === 'agentOffline')).toMatchObject([{ reason: 'stale' }]);
  });

  it('lets an event handler write in the same transaction, and keeps the fleet change when a handler throws', async () => {
    kit = await makeKit();
    kit.bus.subscribe(async (e, tx) => {
      if (e.type === 'faultRaised') await tx.put('tickets', e.eventId, { device: e.device.deviceKey, code: e.fault.code });
    });
    kit.bus.subscribe(() => {
      throw new Error('handler bug');
    });
    const msg = raisedMsg('acme', 'a1', 'p1', fault('jam'));
    expect(await send(msg)).toEqual({ outcome: 'accepted' });
    expect(await kit.store.get('tickets', `${msg.id}/0`)).toEqual({ device: 'acme/agent:a1/p1', code: 'jam' });
    expect(kit.bus.handlerErrors).toBeGreaterThan(0);
    expect(await kit.store.list('devices')).toHaveLength(1);
  });

  it('survives a reopen: state and dedup window come back from disk', async () => {
    kit = await makeKit();
    const msg = stateMsg('acme', 'a1', 'p1');
    await send(msg);
    const dir = kit.dir;
    await kit.store.close();
    const again = await makeKit({}, dir);
    expect(await again.ingest.handle(topicOf(msg), bytes(msg))).toEqual({ outcome: 'duplicate' });
    expect(await again.store.list('devices')).toHaveLength(1);
    await again.store.close();
  });
});

describe('ingest failures', () => {
  it('drops a message whose application fails with a bug (rolled back, counted), and refuses to ack on storage failure', async () => {
    kit = await makeKit();
    // A repository whose transactions fail like a bug would, then like a failed disk.
    const original = kit.store.transaction.bind(kit.store);
    let mode: 'bug' | 'disk' = 'bug';
    kit.store.transaction = () => Promise.reject(mode === 'bug' ? new TypeError('x is undefined') : new StoreFailedError('disk full'));
    const msg = stateMsg('acme', 'a1', 'p1');
    expect(await send(msg)).toMatchObject({ outcome: 'rejected', reason: 'internal-error' });
    mode = 'disk';
    expect(await send(msg)).toMatchObject({ outcome: 'failed', error: 'disk full' });
    kit.store.transaction = original;
    expect(kit.metrics.rejected.get({ reason: 'internal-error' })).toBe(1);
    expect(await send(msg)).toEqual({ outcome: 'accepted' });
  });
});

describe('ingest of a batch (one transaction, a savepoint per message)', () => {
  const item = (msg: WireMessage) => ({ topic: topicOf(msg), payload: bytes(msg) });

  /** A bug while applying: any put of the device with serial SN-BAD throws. */
  function breakDevice(k: Kit): void {
    const original = k.store.transaction.bind(k.store);
    k.store.transaction = ((work: (tx: Transaction) => unknown) =>
      original((tx) =>
        work({
          ...bindAll(tx),
          put: (collection, id, value) => (id.includes('sn-bad') ? Promise.reject(new TypeError('device.x is undefined')) : tx.put(collection, id, value)),
          update: (collection, id, from, value) =>
            id.includes('sn-bad') ? Promise.reject(new TypeError('device.x is undefined')) : tx.update(collection, id, from, value),
        }),
      )) as typeof k.store.transaction;
  }

  it('applies the good messages in order in one commit; a bad one is rolled back and rejected alone', async () => {
    kit = await makeKit(FLEET);
    breakDevice(kit);
    const state = stateMsg('acme', 'a1', 'p1');
    const bad = stateMsg('acme', 'a1', 'p9', { identity: { serial: 'SN-BAD' } });
    const batch = [
      item(statusMsg('acme', 'a1', 'online')),
      item(state),
      { topic: topicOf(state), payload: Buffer.from('{"v":1,') },
      item(bad),
      item(state), // the same id again in the same batch
      item(telemetryMsg('acme', 'a1', 'p1', 1234)),
      item(raisedMsg('acme', 'a1', 'p1', fault('jam'))),
    ];
    const commits = kit.store.stats().commits;
    const verdicts = await kit.ingest.handleBatch(batch);
    expect(verdicts.map((v) => (v.outcome === 'rejected' ? `rejected:${v.reason}` : v.outcome))).toEqual([
      'accepted',
      'accepted',
      'rejected:not-json',
      'rejected:internal-error',
      'duplicate',
      'accepted',
      'accepted',
    ]);
    expect(kit.store.stats().commits).toBe(commits + 1);
    const device = (await kit.store.get<DeviceRecord>('devices', 'acme/sn:sn-1'))!;
    expect(device.counters.total).toBe(1234);
    expect(device.faults.map((f) => f.code)).toEqual(['jam']);
    expect(await kit.store.get('devices', 'acme/sn:sn-bad')).toBeUndefined();
    expect(await kit.store.get('deviceAliases', 'acme/a1/p9')).toBeUndefined();
    expect(kit.events.map((e) => e.type)).toEqual(['agentOnline', 'faultRaised']);
    expect(kit.metrics.rejected.get({ reason: 'internal-error' })).toBe(1);
    expect(kit.metrics.duplicates.get()).toBe(1);
    // The bad message's id was rolled back with it: once the bug is gone it is applied, not a duplicate.
    kit.store.transaction = JournaledStore.prototype.transaction.bind(kit.store);
    expect(await kit.ingest.handleBatch([item(bad)])).toEqual([{ outcome: 'accepted' }]);
  });

  it('splits a batch that fails as a whole (not a storage failure) and applies its messages one by one', async () => {
    kit = await makeKit();
    const original = kit.store.transaction.bind(kit.store);
    let units = 0;
    // A failure no savepoint catches, e.g. at commit: only units of more than one message meet it.
    kit.store.transaction = ((work: (tx: Transaction) => unknown) =>
      original(async (tx) => {
        units += 1;
        let claims = 0;
        const claimMessage = (id: string) => {
          claims += 1;
          return tx.claimMessage(id);
        };
        const result = await work({ ...bindAll(tx), claimMessage });
        if (claims > 1) throw new Error('the batch as a whole failed');
        return result;
      })) as typeof kit.store.transaction;
    const batch = [
      item(stateMsg('acme', 'a1', 'p1')),
      item(telemetryMsg('acme', 'a1', 'p1', 7)),
      item(stateMsg('acme', 'a1', 'p2', { identity: { vendor: 'HP', model: 'M404', serial: 'SN-2' } })),
    ];
    const pending = kit.ingest.handleBatch(batch);
    batch.length = 0; // as the broker subscriber does: the payloads are gone once handleBatch returned
    const verdicts = await pending;
    expect(verdicts.map((v) => v.outcome)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(units).toBe(4);
    expect(kit.metrics.rejected.get({ reason: 'internal-error' })).toBe(0);
    expect((await kit.store.get<DeviceRecord>('devices', 'acme/sn:sn-1'))?.counters.total).toBe(7);
  });

  it('answers failed for every stored message when the commit fails, and still rejects the malformed', async () => {
    kit = await makeKit();
    kit.store.transaction = () => Promise.reject(new StoreFailedError('disk full'));
    const verdicts = await kit.ingest.handleBatch([
      item(stateMsg('acme', 'a1', 'p1')),
      { topic: 'fleetdesk/v1/acme/a1/status', payload: Buffer.from('[]') },
      item(telemetryMsg('acme', 'a1', 'p1', 5)),
    ]);
    expect(verdicts.map((v) => v.outcome)).toEqual(['failed', 'rejected', 'failed']);
  });
});
