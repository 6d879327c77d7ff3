/**
 * Composition of the server core (the imperative shell): storage → ingest → broker side (embedded
 * aedes or external subscriber) → HTTP health. `startServer` returns handles that the API and
 * ticket modules build on (`repo`, `events`, `http`, `ingest`).
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logging.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embeddedBroker.js';
import { CredentialVerifier } from './broker/credentials.js';
import { startExternalSubscriber, type ExternalSubscriber } from './broker/externalSubscriber.js';
import { FleetEventBus } from './events/fleetEvents.js';
import { FleetDirectory } from './fleet/fleetModel.js';
import { createHttpServer } from './http/httpServer.js';
import { mqttClientIdOf, startCluster, type Cluster } from './cluster/cluster.js';
import { Gauge, ServerMetrics } from './http/metrics.js';
import { Ingest } from './ingest/ingest.js';
import type { ImpactTable } from './impact/impactRules.js';
import type { ServerConfig } from './serverConfig.js';
import { openRepository } from './storage/openRepository.js';
import type { Repository } from './storage/repository.js';

export interface RunningServer {
  readonly config: ServerConfig;
  readonly repo: Repository;
  readonly events: FleetEventBus;
  readonly ingest: Ingest;
  readonly metrics: ServerMetrics;
  readonly http: FastifyInstance;
  readonly httpPort: number;
  /** Port of the embedded broker's plain listener (undefined with an external broker). */
  readonly mqttPort: number | undefined;
  readonly mqttTlsPort: number | undefined;
  /** Instance id, leadership (who runs timers) and the bus to other instances (server/cluster). */
  readonly cluster: Cluster;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  /**
   * Called after storage and events exist, before messages flow: ticket/API modules subscribe here.
   * May return a function that `close()` calls first (e.g. to stop timers).
   */
  /** Where ingest reads the impact rule table in force (default: server.yaml's, fixed). */
  impactRules?: () => ImpactTable;
  beforeListen?: (parts: { repo: Repository; events: FleetEventBus; http: FastifyInstance; clock: Clock; cluster: Cluster }) => Promise<(() => Promise<void> | void) | void> | (() => Promise<void> | void) | void;
}

export async function startServer(config: ServerConfig, logger: Logger, options: StartOptions = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const metrics = new ServerMetrics();
  // lowdb files under dataDir, or PostgreSQL shared by several instances (storage.kind).
  const store = await openRepository(config.storage, { dataDir, logger: logger.child({ component: 'store' }) });
  store.onCommit(({ seconds, bytes }) => {
    metrics.storeCommit.observe(seconds);
    metrics.storeCommitBytes.inc({}, bytes);
  });
  metrics.registry.add(new Gauge('fleetdesk_store_size_bytes', 'size of the store files', () => ({ snapshot: store.stats().snapshotBytes, journal: store.stats().journalBytes })));
  // Leadership (who runs the timers) and the bus to the other instances; one instance on lowdb.
  let cluster: Cluster;
  try {
    cluster = await startCluster(config, { clock, logger: logger.child({ component: 'cluster' }) });
  } catch (err) {
    await store.close();
    throw err;
  }
  metrics.registry.add(new Gauge('fleetdesk_cluster_leader', '1 when this instance runs the ticket timers and staleness checks', () => (cluster.leadership.isLeader() ? 1 : 0)));
  // Contention between instances (and between units of one instance) on PostgreSQL: what limits scale-out.
  if ('conflictStats' in store) {
    const pgStore = store;
    metrics.registry.add(new Gauge('fleetdesk_store_conflicts', 'units of work re-run after a serialization conflict, and given up (PostgreSQL)', () => ({ retried: pgStore.conflictStats().retries, givenUp: pgStore.conflictStats().givenUp })));
  }
  const events = new FleetEventBus(logger.child({ component: 'events' }));
  metrics.registry.add(new Gauge('fleetdesk_event_handler_failures', 'fleet event handler failures since start', () => events.handlerErrors));
  const ingest = new Ingest({
    repo: store,
    directory: new FleetDirectory(config.fleet),
    impact: options.impactRules ?? config.impact,
    events,
    clock,
    logger: logger.child({ component: 'ingest' }),
    metrics,
    maxPayloadBytes: config.ingest.maxPayload,
  });

  let embedded: EmbeddedBroker | undefined;
  let external: ExternalSubscriber | undefined;
  const http = createHttpServer({
    logger,
    health: {
      metrics: metrics.registry,
      readinessProblems: () => {
        const problems: string[] = [];
        const s = store.stats();
        if (!s.healthy) problems.push(s.failure ?? 'storage failed');
        if (external && !external.connected()) problems.push(`not connected to the MQTT broker ${config.broker.external?.url ?? ''}`);
        if (!external && !embedded) problems.push('MQTT broker not started');
        return problems;
      },
    },
  });
  let cleanup: (() => Promise<void> | void) | void;
  try {
    cleanup = await options.beforeListen?.({ repo: store, events, http, clock, cluster });
  } catch (err) {
    await cluster.close();
    await store.close();
    throw err;
  }

  try {
    if (config.broker.external) {
      external = startExternalSubscriber(config.broker.external, { ingest, logger: logger.child({ component: 'mqtt' }), clientId: mqttClientIdOf(config), serialBatches: cluster.shared });
    } else {
      if (config.broker.embedded.allowAnonymous) logger.warn('anonymous MQTT access is ENABLED (demo mode): any client on the network can publish agent data');
      embedded = await startEmbeddedBroker(config.broker.embedded, { ingest, credentials: new CredentialVerifier(dataDir), logger: logger.child({ component: 'broker' }), metrics });
    }
    await http.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    await cleanup?.();
    await external?.close();
    await embedded?.close();
    await http.close();
    await cluster.close();
    await store.close();
    throw err;
  }
  const addr = http.server.address();
  const httpPort = typeof addr === 'object' && addr ? addr.port : config.http.port;
  logger.info({ host: config.http.host, port: httpPort }, 'health and metrics listening');

  // Only the leader marks silent agents offline (one offline event per agent across instances).
  let staleTimer = clock.setTimeout(function check() {
    if (cluster.leadership.isLeader()) {
      ingest.markStaleAgents(config.ingest.agentStaleAfter).then(
        (n) => n > 0 && logger.info({ agents: n }, 'agents marked offline after staying silent'),
        (err: Error) => logger.error({ err: err.message }, 'staleness check failed'),
      );
    }
    staleTimer = clock.setTimeout(check, config.ingest.staleCheckInterval);
  }, config.ingest.staleCheckInterval);

  return {
    config,
    repo: store,
    events,
    ingest,
    metrics,
    http,
    httpPort,
    mqttPort: embedded?.port,
    mqttTlsPort: embedded?.tlsPort,
    cluster,
    close: async () => {
      clock.clearTimeout(staleTimer);
      await cleanup?.();
      await external?.close();
      await embedded?.close();
      await http.close();
      await cluster.close();
      await store.close();
    },
  };
}
