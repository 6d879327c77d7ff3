/**
 * The peers of a several-instances test file: PostgreSQL (one database), Mosquitto and a temporary
 * directory, started before the file's tests; the instances and MQTT clients a test adds, and the
 * peers, stopped after them. Apart from cluster.ts, which the benches import without vitest.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll } from 'vitest';
import type { ServerInstance } from './cluster.js';
import { makeTempDir, startMosquitto, type MosquittoPeer } from './peers.js';
import { startPostgres, type PostgresPeer } from './postgres.js';

export interface ClusterPeers {
  /** Set once the peers run (beforeAll). */
  postgresUrl: string;
  mosquittoUrl: string;
  readonly dir: string;
  readonly instances: ServerInstance[];
  readonly clients: MqttClient[];
}

export function useClusterPeers(name: string): ClusterPeers {
  const tmp = makeTempDir(name);
  const peers: ClusterPeers = { postgresUrl: '', mosquittoUrl: '', dir: tmp.path, instances: [], clients: [] };
  let postgres: PostgresPeer | undefined;
  let mosquitto: MosquittoPeer | undefined;
  beforeAll(async () => {
    [postgres, mosquitto] = await Promise.all([
      startPostgres(),
      // Unlimited queue per session: the share of a dead instance waits for it (Mosquitto's default drops past 1000).
      startMosquitto({ extraConfig: ['max_queued_messages 0'] }),
    ]);
    peers.postgresUrl = await postgres.newDatabase(name.replace(/\W/g, '_'));
    peers.mosquittoUrl = mosquitto.url;
  });
  afterAll(async () => {
    for (const c of peers.clients) await c.endAsync(true).catch(() => undefined);
    for (const i of peers.instances) await i.process.stop();
    await mosquitto?.stop();
    await postgres?.stop();
    tmp.remove();
  });
  return peers;
}
