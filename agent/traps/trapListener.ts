/**
 * Fast detection: listen for SNMP notifications (printerV2Alert from the Printer-MIB, and any
 * generic trap such as coldStart/linkUp) and re-poll the sending device at once. The trap itself
 * is only a hint; the poll that follows is what produces events, through the same hysteresis.
 * Communities are not checked (a forged trap can only cause one extra poll).
 */
import snmp from 'net-snmp';
import type { AgentRuntime, RuntimeService } from '../runtime/agentRuntime.js';

export function parseTrapListen(listen: string): { address: string; port: number } {
  const m = /^([0-9.]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(listen.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`traps.listen must be address:port such as 0.0.0.0:162, found ${JSON.stringify(listen)}`);
  return { address: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

interface Notification {
  pdu?: { type?: number; varbinds?: unknown[] };
  rinfo?: { address?: string; port?: number };
}

export interface TrapListener extends RuntimeService {
  readonly received: () => number;
}

/** Starts the receiver when traps are enabled; the returned service closes it. */
export function startTrapListener(rt: Pick<AgentRuntime, 'devicesAtHost' | 'pollNow' | 'countTrap'>, listen: string, log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void; debug: (o: object, m: string) => void }): TrapListener {
  const { address, port } = parseTrapListen(listen);
  let count = 0;
  const receiver = (snmp.createReceiver as (options: object, cb: (error: (Error & { rinfo?: { address?: string } }) | null, n: Notification | null) => void) => { close: (cb: () => void) => void })(
    { port, address, transport: address.includes(':') ? 'udp6' : 'udp4', disableAuthorization: true, includeAuthentication: false },
    (error: (Error & { rinfo?: { address?: string } }) | null, notification: Notification | null) => {
      if (error) {
        log.warn({ err: error.message, from: error.rinfo?.address, listen }, 'SNMP trap receiver error');
        return;
      }
      count++;
      rt.countTrap();
      const from = notification?.rinfo?.address ?? '';
      const devices = rt.devicesAtHost(from);
      if (devices.length === 0) {
        log.debug({ from, pduType: notification?.pdu?.type }, 'trap from an address the agent does not poll');
        return;
      }
      for (const id of devices) rt.pollNow(id);
      log.debug({ from, devices, varbinds: notification?.pdu?.varbinds?.length ?? 0 }, 'trap received: re-polling');
    },
  );
  log.info({ listen }, 'listening for SNMP traps');
  return {
    name: 'traps',
    received: () => count,
    stop: () => new Promise<void>((resolve) => receiver.close(() => resolve())),
  };
}

/** Runtime service factory for `fleetdesk agent`. */
export function trapService(rt: AgentRuntime): Promise<RuntimeService> {
  const cfg = rt.config.traps;
  if (!cfg.enabled) return Promise.resolve({ name: 'traps', stop: () => undefined });
  return Promise.resolve(startTrapListener(rt, cfg.listen, rt.logger.child({ component: 'traps' })));
}
