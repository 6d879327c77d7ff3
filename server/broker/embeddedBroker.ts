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
 */
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from '../../shared/logging.js';
import { parseTopic } from '../../shared/wire/topics.js';
import type { ServerMetrics } from '../http/metrics.js';
import type { Ingest, Sender } from '../ingest/ingest.js';
import { mayPublish, maySubscribe, parseAgentUsername, type AgentIdentity } from './acl.js';
import type { CredentialVerifier } from './credentials.js';
import type { EmbeddedBrokerSettings } from '../serverConfig.js';

export interface EmbeddedBroker {
  /** Plain listener port; undefined when the broker listens on TLS only. */
  readonly port: number | undefined;
  readonly tlsPort: number | undefined;
  readonly broker: Aedes;
  close(): Promise<void>;
}

function authError(message: string, returnCode: 4 | 5): AuthenticateError {
  const err = new Error(message) as AuthenticateError;
  err.returnCode = returnCode;
  return err;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

export async function startEmbeddedBroker(settings: EmbeddedBrokerSettings, deps: { ingest: Ingest; credentials: CredentialVerifier; logger: Logger; metrics: ServerMetrics }): Promise<EmbeddedBroker> {
  const { ingest, credentials, logger, metrics } = deps;
  const identities = new WeakMap<Client, AgentIdentity>();
  const broker = await Aedes.createBroker({
    // Let many QoS 1 messages wait for their commit before the client's socket is read further.
    concurrency: 1000,
    authenticate: (client, username, password, done) => {
      if (username === undefined && password === undefined) {
        if (settings.allowAnonymous) return done(null, true);
        metrics.authFailures.inc({ reason: 'anonymous' });
        logger.warn({ clientId: client.id }, 'MQTT connection refused: no credentials (anonymous access is disabled)');
        return done(authError('anonymous access is disabled', 5), false);
      }
      const who = username !== undefined ? parseAgentUsername(username) : undefined;
      if (!who || password === undefined) {
        metrics.authFailures.inc({ reason: 'bad-username' });
        logger.warn({ clientId: client.id, username: username?.slice(0, 300) }, 'MQTT connection refused: the username must be "<tenant>/<agentId>" with a token as password');
        return done(authError('bad user name or password', 4), false);
      }
      credentials.verify(username!, password).then(
        (ok) => {
          if (!ok) {
            metrics.authFailures.inc({ reason: 'bad-credentials' });
            logger.warn({ clientId: client.id, username }, 'MQTT connection refused: wrong token for this agent');
            return done(authError('bad user name or password', 4), false);
          }
          identities.set(client, who);
          done(null, true);
        },
        (err: Error) => {
          logger.error({ err: err.message }, 'credential check failed');
          done(authError('server unavailable', 5), false);
        },
      );
    },
    authorizePublish: (client, packet, callback) => {
      if (client === null) {
        // A will of a client from before a broker restart: nobody to attribute it to.
        return callback(new Error('unattributed will message refused'));
      }
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
      ingest.handle(packet.topic, payload, sender).then(
        (verdict) => {
          // failed = not durable: no PUBACK; aedes drops the connection and the agent resends.
          if (verdict.outcome === 'failed') callback(new Error(`not stored: ${verdict.error}`));
          else callback(null);
        },
        (err: Error) => callback(err),
      );
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

  const servers: Server[] = [];
  let port: number | undefined;
  if (!settings.tls?.only) {
    const plain = createServer((socket) => broker.handle(socket));
    port = await listen(plain, settings.port, settings.host);
    servers.push(plain);
    logger.info({ host: settings.host, port }, 'embedded MQTT broker listening');
  }
  let tlsPort: number | undefined;
  if (settings.tls) {
    const secure = createTlsServer({ cert: readFileSync(settings.tls.cert), key: readFileSync(settings.tls.key) }, (socket) => broker.handle(socket));
    tlsPort = await listen(secure, settings.tls.port, settings.tls.host);
    servers.push(secure);
    logger.info({ host: settings.tls.host, port: tlsPort }, 'embedded MQTT broker listening (TLS)');
  }
  return {
    port,
    tlsPort,
    broker,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}
