/**
 * The cluster side of one server instance: who it is, whether it leads, and the bus to the other
 * instances. With lowdb storage there is one instance (always leader, a bus to nobody); with
 * PostgreSQL storage the instances of a `cluster.group` elect a leader with an advisory lock and
 * talk over LISTEN/NOTIFY, on two connections of their own. See docs/scale-out.md.
 */
import { hostname } from 'node:os';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import type { ServerConfig } from '../serverConfig.js';
import { LocalBus, type ClusterBus } from './clusterBus.js';
import { LockLeadership, SingleProcessLeadership, type Leadership } from './leadership.js';
import { PgLeaderLock } from './pgLeaderLock.js';
import { PgNotifyBus } from './pgNotifyBus.js';

export interface Cluster {
  readonly instanceId: string;
  /** True when other instances may share the store (PostgreSQL storage). */
  readonly shared: boolean;
  readonly leadership: Leadership;
  readonly bus: ClusterBus;
  /** Steps down, then closes the bus. */
  close(): Promise<void>;
}

/** Where the shared store is (PostgreSQL storage), else undefined (one instance). */
export function sharedStore(config: ServerConfig): { url: string; password?: string } | undefined {
  const s = config.storage;
  if (s.kind !== 'postgres') return undefined;
  return { url: s.url, ...(s.password !== undefined ? { password: s.password } : {}) };
}

export function instanceIdOf(config: ServerConfig): string {
  return config.cluster.instanceId ?? `${hostname()}-${process.pid}`;
}

/** The MQTT client id of this instance on an external broker (explicit broker.external.clientId wins). */
export function mqttClientIdOf(config: ServerConfig): string {
  return `fleetdesk-server-${instanceIdOf(config)}`;
}

export async function startCluster(config: ServerConfig, deps: { clock: Clock; logger: Logger }): Promise<Cluster> {
  const instanceId = instanceIdOf(config);
  const db = sharedStore(config);
  if (db === undefined) {
    const leadership = new SingleProcessLeadership(deps.logger.child({ component: 'cluster-leadership' }));
    leadership.start();
    return { instanceId, shared: false, leadership, bus: new LocalBus(instanceId), close: () => leadership.stop() };
  }
  if (config.cluster.instanceId === undefined) {
    deps.logger
      .child({ component: 'cluster' })
      .warn(
        { instanceId },
        'cluster.instanceId is not set: the MQTT session of this instance will not survive a restart (set a stable, unique id per instance)',
      );
  }
  const { group, leadership: s } = config.cluster;
  const bus = new PgNotifyBus({ ...db, group, instanceId, clock: deps.clock, logger: deps.logger.child({ component: 'cluster-bus' }) });
  // The bus retries by itself; a database that is down at start is reported by the store first.
  await bus.start().catch(() => undefined);
  const leadership = new LockLeadership({
    lock: new PgLeaderLock({ ...db, group, instanceId }),
    clock: deps.clock,
    logger: deps.logger.child({ component: 'cluster-leadership' }),
    checkIntervalMs: s.checkInterval,
    checkTimeoutMs: s.checkTimeout,
    instanceId,
  });
  leadership.start();
  return {
    instanceId,
    shared: true,
    leadership,
    bus,
    close: async () => {
      await leadership.stop();
      await bus.close();
    },
  };
}
