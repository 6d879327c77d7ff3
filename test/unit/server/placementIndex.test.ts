/** The site/agent device indexes: pure moves, and ingest keeping them right (new, moved, re-keyed devices, old stores). */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../../server/fleet/fleetModel.js';
import {
  indexOf,
  PLACEMENT_COLLECTIONS,
  PLACEMENT_INDEX_BUILT,
  placementMoves,
  withDevice,
  withoutDevice,
  type PlacementIndex,
} from '../../../server/fleet/placementIndex.js';
import type { WireMessage } from '../../../shared/wire/messages.js';
import { makeKit, type Kit } from './serverTestKit.js';
import { bytes, fault, raisedMsg, stateMsg, statusMsg, topicOf } from './wireFixtures.js';

const at = (key: string, siteId: string, agentId = 'a1', tenant = 'acme') => ({ key, siteId, agentId, tenant }) as DeviceRecord;

describe('placement moves (pure)', () => {
  it('writes nothing for a device that stays where it was', () => {
    expect(placementMoves(at('acme/sn:1', 'hq'), at('acme/sn:1', 'hq'))).toEqual({ remove: [], add: [] });
  });

  it('adds a new device to its site and agent, removes a deleted one', () => {
    expect(placementMoves(undefined, at('acme/sn:1', 'hq')).add).toEqual([
      { collection: 'siteDevices', id: 'hq', key: 'acme/sn:1' },
      { collection: 'agentDevices', id: 'acme/a1', key: 'acme/sn:1' },
    ]);
    expect(placementMoves(at('acme/sn:1', 'hq'), undefined).remove.map((r) => r.collection)).toEqual(['siteDevices', 'agentDevices']);
  });

  it('moves only the entry that changed: another site under the same agent', () => {
    expect(placementMoves(at('acme/sn:1', 'hq'), at('acme/sn:1', 'wro'))).toEqual({
      remove: [{ collection: 'siteDevices', id: 'hq', key: 'acme/sn:1' }],
      add: [{ collection: 'siteDevices', id: 'wro', key: 'acme/sn:1' }],
    });
  });

  it('keeps an index sorted and free of duplicates, and says when nothing changes', () => {
    const idx = indexOf(['b', 'a', 'b']);
    expect(idx.devices).toEqual(['a', 'b']);
    expect(withDevice(idx, 'a')).toBeNull();
    expect(withDevice(idx, 'c')?.devices).toEqual(['a', 'b', 'c']);
    expect(withoutDevice(idx, 'x')).toBeNull();
    expect(withoutDevice(idx, 'a')?.devices).toEqual(['b']);
  });
});

describe('placement indexes kept by ingest', () => {
  let kit: Kit;
  afterEach(async () => {
    await kit.close();
  });
  const send = async (msg: WireMessage) => expect(await kit.ingest.handle(topicOf(msg), bytes(msg))).toEqual({ outcome: 'accepted' });
  const FLEET = {
    customers: { acme: { name: 'ACME', contract: 'standard', tenants: ['acme'] } },
    sites: { 'acme-hq': { name: 'HQ', customer: 'acme', agents: ['acme/a1'] }, 'acme-wro': { name: 'Wrocław', customer: 'acme', agents: ['acme/a2'] } },
  };
  const index = async (collection: string, id: string) => (await kit.store.get<PlacementIndex>(collection, id))?.devices;
  const onlyOnSite = () => kit.events.flatMap((e) => (e.type === 'faultRaised' ? [e.device.onlyDeviceOnSite] : []));

  it('indexes devices by site and agent as they appear and when a device is re-keyed by its serial', async () => {
    kit = await makeKit(FLEET);
    await send(raisedMsg('acme', 'a1', 'p1', fault('paper.empty')));
    expect(await index(PLACEMENT_COLLECTIONS.siteDevices, 'acme-hq')).toEqual(['acme/agent:a1/p1']);
    await send(stateMsg('acme', 'a1', 'p1', { identity: { serial: 'XYZ' }, faults: [fault('paper.empty')] }));
    expect(await index(PLACEMENT_COLLECTIONS.siteDevices, 'acme-hq')).toEqual(['acme/sn:xyz']);
    expect(await index(PLACEMENT_COLLECTIONS.agentDevices, 'acme/a1')).toEqual(['acme/sn:xyz']);
    await send(stateMsg('acme', 'a2', 'p9', { identity: { serial: 'W1' } }));
    expect(await index(PLACEMENT_COLLECTIONS.siteDevices, 'acme-wro')).toEqual(['acme/sn:w1']);
  });

  it('moves a device that reappears behind another agent on another site', async () => {
    kit = await makeKit(FLEET);
    await send(stateMsg('acme', 'a1', 'p1', { identity: { serial: 'M1' } }));
    await send(stateMsg('acme', 'a1', 'p2', { identity: { serial: 'M2' } }));
    await send(stateMsg('acme', 'a2', 'x', { identity: { serial: 'M1' }, collectedAt: '2026-01-05T08:30:00Z' }));
    expect(await index(PLACEMENT_COLLECTIONS.siteDevices, 'acme-hq')).toEqual(['acme/sn:m2']);
    expect(await index(PLACEMENT_COLLECTIONS.siteDevices, 'acme-wro')).toEqual(['acme/sn:m1']);
    expect(await index(PLACEMENT_COLLECTIONS.agentDevices, 'acme/a2')).toEqual(['acme/sn:m1']);
    // M1 is now alone on its site, M2 too: a jam on either stops its office.
    await send(raisedMsg('acme', 'a2', 'x', fault('jam'), '2026-01-05T08:31:00Z', 2));
    await send(raisedMsg('acme', 'a1', 'p2', fault('jam'), '2026-01-05T08:31:00Z', 2));
    expect(onlyOnSite()).toEqual([true, true]);
  });

  it('builds a missing index from the device records of a store written before indexes existed', async () => {
    kit = await makeKit(FLEET);
    await send(statusMsg('acme', 'a1', 'online'));
    await send(stateMsg('acme', 'a1', 'p1', { identity: { serial: 'OLD1' } }));
    await send(stateMsg('acme', 'a1', 'p2', { identity: { serial: 'OLD2' } }));
    // As an older server left it: device records, no index records, no marker.
    await kit.store.transaction(async (tx) => {
      await tx.delete(PLACEMENT_COLLECTIONS.siteDevices, 'acme-hq');
      await tx.delete(PLACEMENT_COLLECTIONS.agentDevices, 'acme/a1');
      await tx.delete(PLACEMENT_COLLECTIONS.meta, PLACEMENT_INDEX_BUILT);
    });
    await send(raisedMsg('acme', 'a1', 'p1', fault('jam')));
    expect(onlyOnSite()).toEqual([false]);
    expect(await index(PLACEMENT_COLLECTIONS.siteDevices, 'acme-hq')).toEqual(['acme/sn:old1', 'acme/sn:old2']);
    await send(statusMsg('acme', 'a1', 'offline', '2026-01-05T08:10:00Z'));
    const off = kit.events.find((e) => e.type === 'agentOffline');
    expect(off?.type === 'agentOffline' && off.devices.map((d) => d.deviceKey)).toEqual(['acme/sn:old1', 'acme/sn:old2']);
    expect(await index(PLACEMENT_COLLECTIONS.agentDevices, 'acme/a1')).toEqual(['acme/sn:old1', 'acme/sn:old2']);
  });

  it('once the indexes are built, takes a missing entry as an empty site instead of listing the fleet again', async () => {
    kit = await makeKit(FLEET);
    await send(stateMsg('acme', 'a1', 'p1', { identity: { serial: 'S1' } }));
    await send(stateMsg('acme', 'a1', 'p2', { identity: { serial: 'S2' } }));
    expect(await kit.store.get(PLACEMENT_COLLECTIONS.meta, PLACEMENT_INDEX_BUILT)).toEqual({ built: true });
    // Drop the site's entry behind the marker's back: ingest trusts the index and finds no other device.
    await kit.store.transaction((tx) => tx.delete(PLACEMENT_COLLECTIONS.siteDevices, 'acme-hq'));
    await send(raisedMsg('acme', 'a1', 'p1', fault('jam')));
    expect(onlyOnSite()).toEqual([true]);
  });
});
