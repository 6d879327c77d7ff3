/**
 * What `fleetdesk agent init` checks before it writes a config: that the broker accepts the
 * agent's credentials (and which MQTT version it speaks), and that each listed device answers
 * the way the running agent will poll it (same collector, same credentials).
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions } from 'mqtt';
import type { AgentConfig } from '../agentConfig.js';
import { defaultClientId } from '../publish/publisher.js';
import { deviceTitle } from '../probe/render.js';
import { ProtocolCollector } from '../runtime/protocolCollector.js';
import { parseTarget, TargetError } from '../runtime/targets.js';
import type { Clock } from '../../shared/clock.js';

export interface BrokerCheck {
  readonly ok: boolean;
  /** The version the broker accepted, when ok. */
  readonly protocolVersion?: 4 | 5;
  /** Why not, when not ok (the broker's or the network's words). */
  readonly error?: string;
}

function connectOnce(config: AgentConfig, protocolVersion: 4 | 5, timeoutMs: number): Promise<BrokerCheck> {
  const b = config.broker;
  const pem = (what: string, path: string | undefined) => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read broker.${what} file ${path}: ${(err as Error).message}`);
    }
  };
  const options: IClientOptions = {
    protocolVersion,
    // Not the agent's own client id: a check must not take over a running agent's session.
    clientId: `${b.clientId ?? defaultClientId(config.tenant, config.agentId)}/init`.slice(0, 128),
    clean: true,
    username: b.username,
    password: b.password,
    ca: pem('ca', b.ca),
    cert: pem('cert', b.cert),
    key: pem('key', b.key),
    rejectUnauthorized: !b.insecureSkipVerify,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
  };
  return new Promise((resolve) => {
    const client = mqtt.connect(b.url, options);
    const timer = setTimeout(() => finish({ ok: false, error: `no answer within ${timeoutMs} ms` }), timeoutMs);
    const finish = (result: BrokerCheck) => {
      clearTimeout(timer);
      client.end(true, () => resolve(result));
    };
    client.once('connect', () => finish({ ok: true, protocolVersion }));
    client.once('error', (err) => finish({ ok: false, error: err.message }));
  });
}

/** Connects with the config's credentials; MQTT 5 first unless pinned, then 3.1.1. */
export async function checkBroker(config: AgentConfig, timeoutMs = 10_000): Promise<BrokerCheck> {
  const pinned = config.broker.protocolVersion;
  const first = await connectOnce(config, pinned ?? 5, timeoutMs);
  if (first.ok || pinned !== undefined || !/unacceptable protocol version/i.test(first.error ?? '')) return first;
  return connectOnce(config, 4, timeoutMs);
}

export interface DeviceCheck {
  readonly address: string;
  readonly ok: boolean;
  /** "HP Color LaserJet MFP M480f, serial CNB1234" when ok; the collector's reason otherwise. */
  readonly detail: string;
}

/** Polls each configured device once, as the agent will. */
export async function checkDevices(config: AgentConfig, clock: Clock): Promise<DeviceCheck[]> {
  const collector = new ProtocolCollector(config, clock);
  try {
    return await Promise.all(
      config.devices.map(async (entry): Promise<DeviceCheck> => {
        let target;
        try {
          target = parseTarget(entry, config.snmp.port);
        } catch (err) {
          if (err instanceof TargetError) return { address: entry.address, ok: false, detail: err.message };
          throw err;
        }
        const result = await collector.collect(target, AbortSignal.timeout(config.polling.timeout));
        if (!result.ok) return { address: entry.address, ok: false, detail: result.error };
        const id = result.snapshot.identity;
        const name = deviceTitle(id) || 'a printer';
        return { address: entry.address, ok: true, detail: id.serial ? `${name}, serial ${id.serial}` : name };
      }),
    );
  } finally {
    collector.close();
  }
}
