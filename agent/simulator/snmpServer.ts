/**
 * UDP sockets for the simulator's SNMP side: one shared port where the community picks the device
 * (community = device id), and optionally one port per device (base port + ordinal) that answers
 * the community "public" or the device id. Every datagram goes through the pure responder; a
 * packet it rejects is counted and dropped, never thrown.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '../../shared/logging.js';
import type { SimulatedDevice } from './simulatedDevice.js';
import { DEFAULT_LIMITS, respond, type CommunityTarget } from './snmpResponder.js';

export interface SnmpStats {
  requests: number;
  responses: number;
  dropped: Record<string, number>;
  errors: number;
}

export interface SnmpServer {
  readonly port: number;
  /** Device id → its own port, when per-device ports are on. */
  readonly devicePorts: ReadonlyMap<string, number>;
  readonly stats: SnmpStats;
  close(): Promise<void>;
}

export interface SnmpServerOptions {
  readonly host: string;
  /** Shared port (0 = any free port). */
  readonly port: number;
  /** First per-device port; device with ordinal i listens on portBase + i. */
  readonly portBase?: number;
  readonly devices: readonly SimulatedDevice[];
  readonly logger: Logger;
}

function bind(socket: Socket, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

export async function startSnmpServer(options: SnmpServerOptions): Promise<SnmpServer> {
  const { logger } = options;
  const stats: SnmpStats = { requests: 0, responses: 0, dropped: {}, errors: 0 };
  const sockets: Socket[] = [];
  const family = options.host.includes(':') ? 'udp6' : 'udp4';

  const serve = (socket: Socket, resolve: (community: string) => CommunityTarget) => {
    socket.on('message', (packet, rinfo) => {
      stats.requests++;
      try {
        const outcome = respond(packet, resolve, DEFAULT_LIMITS);
        if (outcome.kind === 'drop') {
          stats.dropped[outcome.reason] = (stats.dropped[outcome.reason] ?? 0) + 1;
          if (outcome.reason === 'malformed' || outcome.reason === 'unsupportedVersion') {
            logger.debug({ from: `${rinfo.address}:${rinfo.port}`, reason: outcome.reason, detail: outcome.detail }, 'SNMP packet dropped');
          }
          return;
        }
        stats.responses++;
        socket.send(outcome.packet, rinfo.port, rinfo.address, (err) => {
          if (err) {
            stats.errors++;
            logger.warn({ to: `${rinfo.address}:${rinfo.port}`, err: err.message }, 'SNMP response could not be sent');
          }
        });
      } catch (err) {
        // A bug must not take every simulated device down: count, log, keep serving.
        stats.errors++;
        logger.error({ err: (err as Error).message, from: `${rinfo.address}:${rinfo.port}` }, 'SNMP request failed');
      }
    });
    socket.on('error', (err) => {
      stats.errors++;
      logger.error({ err: err.message }, 'SNMP socket error');
    });
  };

  const byCommunity = new Map<string, SimulatedDevice>();
  for (const d of options.devices) byCommunity.set(d.id, d);

  try {
    const shared = createSocket({ type: family, reuseAddr: false });
    sockets.push(shared);
    try {
      await bind(shared, options.port, options.host);
    } catch (err) {
      throw new Error(`cannot listen for SNMP on UDP ${options.host}:${options.port}: ${(err as Error).message}`);
    }
    serve(shared, (community) => byCommunity.get(community)?.snmpTable());

    const devicePorts = new Map<string, number>();
    if (options.portBase !== undefined) {
      for (const d of options.devices) {
        const port = options.portBase + d.ref.ordinal;
        const socket = createSocket({ type: family });
        sockets.push(socket);
        try {
          await bind(socket, port, options.host);
        } catch (err) {
          throw new Error(`device ${d.id}: cannot listen on UDP ${options.host}:${port}: ${(err as Error).message}`);
        }
        serve(socket, (community) => (community === 'public' || community === d.id ? d.snmpTable() : undefined));
        devicePorts.set(d.id, port);
      }
    }
    return {
      port: shared.address().port,
      devicePorts,
      stats,
      close: () => closeAll(sockets),
    };
  } catch (err) {
    await closeAll(sockets);
    throw err;
  }
}

async function closeAll(sockets: readonly Socket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          try {
            s.close(() => resolve());
          } catch {
            resolve(); // never bound or already closed
          }
        }),
    ),
  );
}
