import { describe, expect, it } from 'vitest';
import { instanceIdOf, mqttClientIdOf, sharedStore } from '../../../server/cluster/cluster.js';
import { leaderLockKey } from '../../../server/cluster/pgLeaderLock.js';
import { busChannel } from '../../../server/cluster/pgNotifyBus.js';
import { ServerConfig } from '../../../server/serverConfig.js';

describe('cluster settings', () => {
  it('default to one instance named after host and process, leader lock checks every 2 s', () => {
    const c = ServerConfig.parse({});
    expect(c.cluster).toEqual({ group: 'fleetdesk', leadership: { checkInterval: 2000, checkTimeout: 5000 } });
    expect(instanceIdOf(c)).toMatch(new RegExp(`-${process.pid}$`));
    expect(sharedStore(c)).toBeUndefined();
  });

  it('give a stable MQTT client id and the shared store with PostgreSQL storage', () => {
    const c = ServerConfig.parse({
      storage: { kind: 'postgres', url: 'postgres://fleetdesk@db:5432/fd', password: 'secret-password' },
      cluster: { instanceId: 's2', group: 'acme-prod', leadership: { checkInterval: '500ms' } },
    });
    expect(mqttClientIdOf(c)).toBe('fleetdesk-server-s2');
    expect(sharedStore(c)).toEqual({ url: 'postgres://fleetdesk@db:5432/fd', password: 'secret-password' });
    expect(c.cluster.leadership.checkInterval).toBe(500);
  });

  it('reject bad values, naming the key', () => {
    const r = ServerConfig.safeParse({ cluster: { instanceId: 'has space', group: 'x'.repeat(41), leadership: { checkTimeout: '2m' } } });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['cluster.group', 'cluster.instanceId', 'cluster.leadership.checkTimeout']);
  });

  it('derive one lock key and channel per group, within PostgreSQL limits', () => {
    const a = leaderLockKey('fleetdesk');
    expect(a).toBe(leaderLockKey('fleetdesk'));
    expect(a).not.toBe(leaderLockKey('acme-prod'));
    expect(a >= 0n && a <= 0x7fff_ffff_ffff_ffffn).toBe(true);
    expect(Buffer.byteLength(busChannel('x'.repeat(40)))).toBeLessThanOrEqual(63);
  });
});
