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
import { importTokenFiles } from './auth/tokenFileImport.js';
import { onAuthChange } from './auth/authChanges.js';
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
import { ListenError } from './listenError.js';
import { ShutdownSequence, type CloseStep } from './shutdownSequence.js';

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

/** What the parts built on the core (tickets, API…) get before messages flow. */
export interface ServerParts {
  repo: Repository;
  events: FleetEventBus;
  http: FastifyInstance;
  clock: Clock;
  cluster: Cluster;
  /**
   * Registers how a part stops, right after it started: the server closes parts in reverse order,
   * all of them after the broker side has drained and before HTTP and storage close.
   */
  onClose: (name: string, close: CloseStep) => void;
}

export interface StartOptions {
  clock?: Clock;
  /** Where ingest reads the impact rule table in force (default: server.yaml's, fixed). */
  impactRules?: () => ImpactTable;
  /**
   * Called after storage and events exist, before messages flow: ticket/API modules subscribe here
   * and register their close steps (or return one).
   */
  beforeListen?: (parts: ServerParts) => Promise<CloseStep | void> | CloseStep | void;
}

export async function startServer(config: ServerConfig, logger: Logger, options: StartOptions = {}): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const metrics = new ServerMetrics();
  // Each part registers its close step as it starts; close() and a failed start run them in reverse.
  const shutdown = new ShutdownSequence(logger.child({ component: 'shutdown' }));
  const abandonStart = async (err: unknown): Promise<never> => {
    await shutdown.close().catch(() => undefined);
    throw err;
  };
  // lowdb files under dataDir, or PostgreSQL shared by several instances (storage.kind).
  const store = await openRepository(config.storage, { dataDir, logger: logger.child({ component: 'store' }) });
  shutdown.onClose('storage', () => store.close());
  // Tokens of releases that kept them in files beside the store move into it, once.
  try {
    await importTokenFiles(store, dataDir, logger.child({ component: 'auth' }));
  } catch (err) {
    return abandonStart(err);
  }
  store.onCommit(({ seconds, bytes }) => {
    metrics.storeCommit.observe(seconds);
    metrics.storeCommitBytes.inc({}, bytes);
  });
  metrics.registry.add(
    new Gauge('fleetdesk_store_size_bytes', 'size of the store files', () => ({ snapshot: store.stats().snapshotBytes, journal: store.stats().journalBytes })),
  );
  // Leadership (who runs the timers) and the bus to the other instances; one instance on lowdb.
  let cluster: Cluster;
  try {
    // Each part of the cluster names itself (a child of a child with the same key would log it twice).
    cluster = await startCluster(config, { clock, logger });
  } catch (err) {
    return abandonStart(err);
  }
  shutdown.onClose('cluster', () => cluster.close());
  metrics.registry.add(
    new Gauge('fleetdesk_cluster_leader', '1 when this instance runs the ticket timers and staleness checks', () => (cluster.leadership.isLeader() ? 1 : 0)),
  );
  // Contention between instances (and between units of one instance) on PostgreSQL: what limits scale-out.
  if ('conflictStats' in store) {
    const pgStore = store;
    metrics.registry.add(
      new Gauge('fleetdesk_store_conflicts', 'units of work re-run after a serialization conflict, and given up (PostgreSQL)', () => ({
        retried: pgStore.conflictStats().retries,
        givenUp: pgStore.conflictStats().givenUp,
      })),
    );
    metrics.registry.add(
      new Gauge('fleetdesk_store_statements', 'statements units of work sent to PostgreSQL since start (round trips, BEGIN to COMMIT)', () =>
        pgStore.statementsSent(),
      ),
    );
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
        // The first thing a stop does: load balancers and the cluster see it before anything closes.
        if (shutdown.draining) return ['shutting down'];
        const problems: string[] = [];
        const s = store.stats();
        if (!s.healthy) problems.push(s.failure ?? 'storage failed');
        const brokerProblem = external?.problem();
        if (brokerProblem) problems.push(brokerProblem);
        if (!external && !embedded) problems.push('MQTT broker not started');
        return problems;
      },
    },
  });
  // HTTP stops after the broker and the ticket engine: /readyz keeps answering 503 while they drain.
  shutdown.onClose('http', () => http.close());
  try {
    const cleanup = await options.beforeListen?.({ repo: store, events, http, clock, cluster, onClose: (name, close) => shutdown.onClose(name, close) });
    if (cleanup) shutdown.onClose('server parts', cleanup);
  } catch (err) {
    return abandonStart(err);
  }

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
  shutdown.onClose('staleness check', () => clock.clearTimeout(staleTimer));

  try {
    if (config.broker.external) {
      const subscriber = startExternalSubscriber(config.broker.external, {
        ingest,
        logger: logger.child({ component: 'mqtt' }),
        clientId: mqttClientIdOf(config),
        serialBatches: cluster.shared,
        onOtherPartition: () => metrics.otherPartition.inc(),
      });
      external = subscriber;
      // First to stop: no new messages are read, and every one already read is committed (and its
      // faults ticketed) before anything behind ingest closes.
      shutdown.onClose('MQTT subscriber', () => subscriber.close());
    } else {
      if (config.broker.embedded.allowAnonymous)
        logger.warn({ host: config.broker.embedded.host }, 'anonymous MQTT access is ENABLED: any client that reaches the broker can publish agent data');
      const agentCredentials = new CredentialVerifier(store, () => clock.now());
      // Credentials issued or revoked through another instance apply here at the next login, not a second later.
      shutdown.onClose(
        'credential notes',
        onAuthChange(cluster.bus, 'agentCredentials', () => agentCredentials.invalidate()),
      );
      const broker = await startEmbeddedBroker(config.broker.embedded, {
        ingest,
        credentials: agentCredentials,
        logger: logger.child({ component: 'broker' }),
        metrics,
        clock,
      });
      embedded = broker;
      shutdown.onClose('MQTT broker', () => broker.close());
    }
    await listenHttp(http, config.http.host, config.http.port);
  } catch (err) {
    return abandonStart(err);
  }
  const addr = http.server.address();
  const httpPort = typeof addr === 'object' && addr ? addr.port : config.http.port;
  logger.info({ host: config.http.host, port: httpPort }, 'health and metrics listening');

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
    close: () => {
      if (!shutdown.draining) logger.info('stopping: not ready, draining the broker side, then tickets, HTTP and storage');
      return shutdown.close();
    },
  };
}

/** Listens, turning "port in use" and the like into an error that names the address. */
async function listenHttp(http: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await http.listen({ host, port });
  } catch (err) {
    throw new ListenError('HTTP', host, port, err as NodeJS.ErrnoException);
  }
}
