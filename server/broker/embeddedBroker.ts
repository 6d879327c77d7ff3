/**
 * The embedded MQTT broker (aedes). Ingest happens inside aedes' `authorizePublish` hook: aedes
 * writes the PUBACK of a QoS 1 message only after that hook calls back, and we call back only
 * once ingest has made the message durable. aedes handles all packets of one socket read
 * concurrently, so one commit (one fsync) covers many messages.
 *
 * Security: clients authenticate as "<tenant>/<agentId>" with a token issued by the server
 * (credentials.ts); anonymous clients are refused unless `allowAnonymous` (local demos). The ACL
 * of acl.ts applies to every publish and subscribe. A publish outside the agent's own tree is
 * refused (aedes closes the connection) and counted as `not-authorized`.
 *
 * Hardening (docs/server.md, "Embedded broker (aedes)"):
 * - the client id of an agent is its username "<tenant>/<agentId>": a client id that belongs to
 *   another agent is refused before the session is registered, so one credential can never take
 *   over (disconnect) another agent's session;
 * - failed logins are throttled per address and per username (loginThrottle.ts) and summarised in
 *   one log line per window; an unknown username costs the same check as a known one;
 * - a retained publish is kept only when ingest did not reject its payload, and the retained store
 *   is bounded in messages and bytes;
 * - close() drains: no new connections or publishes, every publish already being ingested is
 *   committed and acknowledged, then the clients are disconnected within a bounded wait.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logging.js';
import { parseTopic } from '../../shared/wire/topics.js';
import type { ServerMetrics } from '../http/metrics.js';
import type { Ingest, Sender } from '../ingest/ingest.js';
import { mayPublish, maySubscribe, parseAgentUsername, type AgentIdentity } from './acl.js';
import { VerifierBusyError, type CredentialVerifier } from './credentials.js';
import { LoginThrottle, type LoginFailureReason, type LoginFailureSummary } from './loginThrottle.js';
import type { EmbeddedBrokerSettings } from '../serverConfig.js';
import { ListenError } from '../listenError.js';

export interface EmbeddedBroker {
  /** Plain listener port; undefined when the broker listens on TLS only. */
  readonly port: number | undefined;
  readonly tlsPort: number | undefined;
  readonly broker: Aedes;
  close(): Promise<void>;
}

/** How long close() waits for agents to be disconnected before it destroys their sockets. */
const CLIENTS_CLOSE_WAIT_MS = 5_000;
/** Refused logins (and refused retained messages) are summarised in one log line per this period. */
const SUMMARY_EVERY_MS = 10_000;

/** How long a throttled login waits for its refusal. */
const THROTTLED_ANSWER_DELAY_MS = 1000;

/** MQTT 3.1.1 CONNACK return codes the broker answers with. */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_CREDENTIALS = 4;
const NOT_AUTHORIZED = 5;

function authError(message: string, returnCode: 2 | 3 | 4 | 5): AuthenticateError {
  const err = new Error(message) as AuthenticateError;
  err.returnCode = returnCode;
  return err;
}

/**
 * The client id an agent must connect with: its username, which no other credential can claim, or
 * the username and a purpose after a "/" (`acme/agent-1/init` for `agent init`'s check, which must
 * not take the running agent's session over). Ids hold no "/", so that prefix names one agent.
 */
export function agentClientIdAllowed(who: AgentIdentity, clientId: string): boolean {
  const own = `${who.tenant}/${who.agentId}`;
  if (clientId === own) return true;
  if (clientId.startsWith(`${own}/`) && /^[A-Za-z0-9._-]{1,32}$/.test(clientId.slice(own.length + 1))) return true;
  // Agents before client-id binding used "fleetdesk-agent-<tenant>-<agentId>". That form is
  // ambiguous when an id holds a "-" (tenant "a-b"/agent "c" and "a"/"b-c" give the same id), so
  // it is accepted only when neither does: then it names exactly one agent.
  return !who.tenant.includes('-') && !who.agentId.includes('-') && clientId === `fleetdesk-agent-${who.tenant}-${who.agentId}`;
}

function listen(server: Server, what: string, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(new ListenError(what, host, port, err));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

function readTlsFile(kind: 'certificate' | 'key', file: string, host: string, port: number): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ListenError(
      'MQTT over TLS',
      host,
      port,
      Object.assign(new Error(`cannot read the TLS ${kind} file ${file}: ${e.code ?? e.message}`), { code: 'TLSFILE' }),
    );
  }
}

function summaryText(s: LoginFailureSummary, periodMs: number): string {
  const reasons = Object.entries(s.byReason)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  return `${s.failures} MQTT logins refused in the last ${periodMs / 1000} s (${reasons})`;
}

/** Retained messages kept for topics, bounded in count and bytes (aedes keeps them in memory). */
class RetainedBudget {
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly limits: { maxMessages: number; maxBytes: number }) {}

  /** Whether a retained payload for `topic` may be kept; books it when so. An empty payload clears the topic. */
  admit(topic: string, size: number): boolean {
    const before = this.sizes.get(topic);
    if (size === 0) {
      if (before !== undefined) this.bytes -= before;
      this.sizes.delete(topic);
      return true;
    }
    const count = this.sizes.size + (before === undefined ? 1 : 0);
    const bytes = this.bytes - (before ?? 0) + size;
    if (count > this.limits.maxMessages || bytes > this.limits.maxBytes) return false;
    this.sizes.set(topic, size);
    this.bytes = bytes;
    return true;
  }
}

export interface EmbeddedBrokerDeps {
  ingest: Ingest;
  credentials: CredentialVerifier;
  logger: Logger;
  metrics: ServerMetrics;
  clock: Clock;
}

export async function startEmbeddedBroker(settings: EmbeddedBrokerSettings, deps: EmbeddedBrokerDeps): Promise<EmbeddedBroker> {
  const { ingest, credentials, logger, metrics, clock } = deps;
  const identities = new WeakMap<Client, AgentIdentity>();
  const throttle = new LoginThrottle(() => clock.now());
  const retained = new RetainedBudget(settings.retained);
  let retainedRefusedSince = 0;
  /** Ingest runs of publishes not yet answered: close() waits for them before disconnecting anyone. */
  const inFlight = new Set<Promise<void>>();
  let draining = false;

  const refuseLogin = (
    address: string,
    username: string | undefined,
    reason: LoginFailureReason,
    err: AuthenticateError,
    done: (err: AuthenticateError, ok: boolean) => void,
  ) => {
    metrics.authFailures.inc({ reason });
    throttle.failed(address, username?.slice(0, 128), reason);
    done(err, false);
  };

  const broker = await Aedes.createBroker({
    // Let many QoS 1 messages wait for their commit before the client's socket is read further.
    concurrency: 1000,
    authenticate: (client, username, password, done) => {
      const address = (client.conn as Partial<Socket>).remoteAddress ?? 'unknown';
      if (draining) return done(authError('the server is shutting down', SERVER_UNAVAILABLE), false);
      if (username === undefined && password === undefined) {
        if (settings.allowAnonymous) return done(null, true);
        return refuseLogin(address, undefined, 'anonymous', authError('anonymous access is disabled', NOT_AUTHORIZED), done);
      }
      const who = username !== undefined ? parseAgentUsername(username) : undefined;
      if (!who || password === undefined) {
        return refuseLogin(address, username, 'bad-username', authError('bad user name or password', BAD_CREDENTIALS), done);
      }
      if (!agentClientIdAllowed(who, client.id)) {
        // Checked before the session is registered, so the agent that owns the id stays connected.
        return refuseLogin(
          address,
          username,
          'client-id',
          authError(`agent ${username} must connect with the client id "${username}"`, IDENTIFIER_REJECTED),
          done,
        );
      }
      const accept = () => {
        identities.set(client, who);
        done(null, true);
      };
      const check = async (): Promise<void> => {
        // The agent's own token, verified before: in at once, whatever others tried under its name.
        if (await credentials.knownToken(username!, password)) return accept();
        if (!throttle.check(address, username).allowed) {
          // The same answer as a wrong password, without the check: nothing to learn, nothing to
          // compute. Given a second late, so a guesser waiting for answers tries once a second, not
          // hundreds of times (each attempt costs the broker a connection, also when refused).
          clock.setTimeout(
            () => refuseLogin(address, username, 'throttled', authError('bad user name or password', BAD_CREDENTIALS), done),
            THROTTLED_ANSWER_DELAY_MS,
          );
          return;
        }
        throttle.started(address);
        let ok: boolean;
        try {
          ok = await credentials.verify(username!, password);
        } finally {
          throttle.finished(address);
        }
        if (ok) return accept();
        refuseLogin(address, username, 'bad-credentials', authError('bad user name or password', BAD_CREDENTIALS), done);
      };
      check().catch((err: Error) => {
        if (err instanceof VerifierBusyError) return refuseLogin(address, username, 'busy', authError('server busy, try again', SERVER_UNAVAILABLE), done);
        logger.error({ err: err.message }, 'credential check failed');
        done(authError('server unavailable', SERVER_UNAVAILABLE), false);
      });
    },
    authorizePublish: (client, packet, callback) => {
      if (client === null) {
        // A will of a client from before a broker restart: nobody to attribute it to.
        return callback(new Error('unattributed will message refused'));
      }
      // Stopping: not acknowledged, so the agent keeps it in its outbox and publishes it again after the restart.
      if (draining) return callback(new Error('the server is shutting down'));
      const who = identities.get(client);
      let sender: Sender | undefined = who;
      if (who) {
        const decision = mayPublish(who, packet.topic);
        if (!decision.allowed) {
          metrics.rejected.inc({ reason: 'not-authorized' });
          logger.warn({ clientId: client.id, topic: packet.topic.slice(0, 256) }, `publish refused: ${decision.why}`);
          return callback(new Error(decision.why));
        }
      } else {
        // Anonymous demo client: it speaks for whoever the topic names.
        const parsed = parseTopic(packet.topic);
        if (!parsed.ok || parsed.topic.kind === 'commands') {
          metrics.rejected.inc({ reason: 'not-authorized' });
          return callback(new Error('anonymous clients may publish only agent topics'));
        }
        sender = undefined;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const run = ingest.handle(packet.topic, payload, sender).then(
        (verdict) => {
          // failed = not durable: no PUBACK; aedes drops the connection and the agent resends.
          if (verdict.outcome === 'failed') return callback(new Error(`not stored: ${verdict.error}`));
          // aedes stores a retained publish after this callback: never a rejected payload, and
          // within the budget (an empty payload clears the topic, as MQTT defines).
          if (packet.retain && payload.byteLength > 0 && verdict.outcome === 'rejected') packet.retain = false;
          else if (packet.retain && !retained.admit(packet.topic, payload.byteLength)) {
            packet.retain = false;
            metrics.retainedRefused.inc();
            if (clock.now() - retainedRefusedSince > SUMMARY_EVERY_MS) {
              retainedRefusedSince = clock.now();
              logger.warn({ limits: settings.retained }, 'retained message not kept: the retained store is full (broker.embedded.retained)');
            }
          }
          callback(null);
        },
        (err: Error) => callback(err),
      );
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    },
    authorizeSubscribe: (client, subscription, callback) => {
      const who = identities.get(client);
      if (!who) {
        if (settings.allowAnonymous) return callback(null, subscription);
        return callback(new Error('not authenticated'));
      }
      const decision = maySubscribe(who, subscription.topic);
      if (!decision.allowed) {
        logger.warn({ clientId: client.id }, `subscribe refused: ${decision.why}`);
        return callback(new Error(decision.why));
      }
      callback(null, subscription);
    },
  });
  broker.on('clientError', (client, err) => logger.debug({ clientId: client.id, err: err.message }, 'MQTT client error'));
  broker.on('connectionError', (client, err) => logger.debug({ clientId: client?.id, err: err.message }, 'MQTT connection error'));

  // One line per period for refused logins, whatever their number.
  let summaryTimer = clock.setTimeout(function summarise() {
    const s = throttle.takeSummary();
    if (s) logger.warn({ failures: s.failures, reasons: s.byReason, addresses: s.topAddresses, usernames: s.topUsernames }, summaryText(s, SUMMARY_EVERY_MS));
    summaryTimer = clock.setTimeout(summarise, SUMMARY_EVERY_MS);
  }, SUMMARY_EVERY_MS);

  const sockets = new Set<Socket>();
  const accept = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  };
  const servers: Server[] = [];
  const stopListening = () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  let port: number | undefined;
  let tlsPort: number | undefined;
  try {
    if (!settings.tls?.only) {
      const plain = createServer(accept);
      servers.push(plain);
      port = await listen(plain, 'MQTT', settings.port, settings.host);
      logger.info({ host: settings.host, port }, 'embedded MQTT broker listening');
    }
    if (settings.tls) {
      const { host, port: wanted } = settings.tls;
      const secure = createTlsServer(
        { cert: readTlsFile('certificate', settings.tls.cert, host, wanted), key: readTlsFile('key', settings.tls.key, host, wanted) },
        accept,
      );
      servers.push(secure);
      tlsPort = await listen(secure, 'MQTT over TLS', wanted, host);
      logger.info({ host, port: tlsPort }, 'embedded MQTT broker listening (TLS)');
    }
  } catch (err) {
    clock.clearTimeout(summaryTimer);
    await stopListening();
    await new Promise<void>((r) => broker.close(() => r()));
    throw err;
  }
  return {
    port,
    tlsPort,
    broker,
    close: async () => {
      draining = true;
      // No new connections from here on; the promise settles once every socket is gone.
      const listenersClosed = stopListening();
      // Publishes already being ingested are committed (their faults ticketed) and acknowledged.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      // Let the PUBACKs just written reach the sockets before they close.
      await new Promise((r) => setImmediate(r));
      clock.clearTimeout(summaryTimer);
      const s = throttle.takeSummary();
      if (s) logger.warn({ failures: s.failures, reasons: s.byReason, addresses: s.topAddresses, usernames: s.topUsernames }, summaryText(s, SUMMARY_EVERY_MS));
      let waitTimer: ReturnType<Clock['setTimeout']> | undefined;
      const closedInTime = await Promise.race([
        new Promise<boolean>((r) => broker.close(() => r(true))),
        new Promise<boolean>((r) => (waitTimer = clock.setTimeout(() => r(false), CLIENTS_CLOSE_WAIT_MS))),
      ]);
      if (waitTimer) clock.clearTimeout(waitTimer);
      if (!closedInTime || sockets.size > 0) {
        if (!closedInTime)
          logger.warn({ sockets: sockets.size }, `MQTT clients not disconnected within ${CLIENTS_CLOSE_WAIT_MS / 1000} s; closing their sockets`);
        for (const socket of sockets) socket.destroy();
      }
      await listenersClosed;
    },
  };
}
