/**
 * Fast detection: listen for SNMP notifications (printerV2Alert from the Printer-MIB, and any
 * generic trap such as coldStart/linkUp) and re-poll the sending device at once. The trap itself
 * only says "look now"; the poll that follows reads the device and produces the events. That poll
 * is marked as trap-triggered, so a fault it sees is confirmed at once (change detection: traps
 * confirm). Communities are not checked: a forged trap can cause one extra poll, and can raise
 * only a fault the device itself reports in that poll.
 *
 * Each notification is classified (classifyTrap) as a Printer-MIB alert or a generic trap, from
 * snmpTrapOID.0 (SNMPv2) or enterprise/generic/specific (SNMPv1, mapped per RFC 3584 §3.1), for
 * logs and the per-kind count. Both kinds re-poll: the collector's own alert rules
 * (agent/collect/snmp/collector.ts) decide what that poll reads.
 */
import snmp from 'net-snmp';
import { OID } from '../../mibs/oids.generated.js';
import type { AgentRuntime, RuntimeService } from '../runtime/agentRuntime.js';

export function parseTrapListen(listen: string): { address: string; port: number } {
  const m = /^([0-9.]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(listen.trim());
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`traps.listen must be address:port such as 0.0.0.0:162, found ${JSON.stringify(listen)}`);
  return { address: m[1]!.replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
}

interface Notification {
  pdu?: TrapPdu;
  rinfo?: { address?: string; port?: number };
}

/** What net-snmp hands over of a notification PDU (v1 Trap-PDU fields, or v2 varbinds). */
export interface TrapPdu {
  readonly type?: number;
  readonly enterprise?: string;
  readonly generic?: number;
  readonly specific?: number;
  readonly varbinds?: ReadonlyArray<unknown>;
}

export type TrapKind = 'printerAlert' | 'generic';

/** SNMPv1 generic-trap n corresponds to snmpTraps.(n + 1) (coldStart … egpNeighborLoss), RFC 3584. */
const SNMP_TRAPS = '1.3.6.1.6.3.1.1.5';
const ENTERPRISE_SPECIFIC = 6;

/**
 * The notification's type as an SNMPv2 trap OID, and whether it is a Printer-MIB alert
 * (printerV2Alert; an SNMPv1 printerV1Alert maps to the same OID). Pure; never throws: a PDU
 * without a recognisable type is a generic trap with trapOid null.
 */
export function classifyTrap(pdu: TrapPdu | undefined): { kind: TrapKind; trapOid: string | null } {
  let trapOid: string | null = null;
  if (pdu && typeof pdu.enterprise === 'string' && typeof pdu.generic === 'number') {
    if (pdu.generic === ENTERPRISE_SPECIFIC && typeof pdu.specific === 'number') {
      // enterprise.0.specific; agents (and net-snmp) that already end the enterprise in ".0" keep it once.
      trapOid = `${pdu.enterprise.endsWith('.0') ? pdu.enterprise : `${pdu.enterprise}.0`}.${pdu.specific}`;
    } else if (pdu.generic >= 0 && pdu.generic < ENTERPRISE_SPECIFIC) {
      trapOid = `${SNMP_TRAPS}.${pdu.generic + 1}`;
    }
  } else {
    for (const vb of pdu?.varbinds ?? []) {
      const { oid, value } = (vb ?? {}) as { oid?: unknown; value?: unknown };
      if (oid === `${OID.snmpTrapOID}.0` && typeof value === 'string') trapOid = value.replace(/^\./, '');
    }
  }
  return { kind: trapOid === OID.printerV2Alert ? 'printerAlert' : 'generic', trapOid };
}

export interface TrapListener extends RuntimeService {
  readonly received: () => number;
  /** Notifications received, by kind. */
  readonly receivedByKind: () => Readonly<Record<TrapKind, number>>;
}

/** Starts the receiver when traps are enabled; the returned service closes it. */
export function startTrapListener(
  rt: Pick<AgentRuntime, 'devicesAtHost' | 'pollNow' | 'countTrap'>,
  listen: string,
  log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void; debug: (o: object, m: string) => void },
): TrapListener {
  const { address, port } = parseTrapListen(listen);
  let count = 0;
  const byKind: Record<TrapKind, number> = { printerAlert: 0, generic: 0 };
  const receiver = (
    snmp.createReceiver as (
      options: object,
      cb: (error: (Error & { rinfo?: { address?: string } }) | null, n: Notification | null) => void,
    ) => { close: (cb: () => void) => void }
  )(
    { port, address, transport: address.includes(':') ? 'udp6' : 'udp4', disableAuthorization: true, includeAuthentication: false },
    (error: (Error & { rinfo?: { address?: string } }) | null, notification: Notification | null) => {
      if (error) {
        log.warn({ err: error.message, from: error.rinfo?.address, listen }, 'SNMP trap receiver error');
        return;
      }
      count++;
      rt.countTrap();
      const { kind, trapOid } = classifyTrap(notification?.pdu);
      byKind[kind]++;
      const from = notification?.rinfo?.address ?? '';
      const devices = rt.devicesAtHost(from);
      if (devices.length === 0) {
        log.debug({ from, kind, trapOid, pduType: notification?.pdu?.type }, 'trap from an address the agent does not poll');
        return;
      }
      for (const id of devices) rt.pollNow(id, 'trap');
      log.debug(
        { from, devices, kind, trapOid, varbinds: notification?.pdu?.varbinds?.length ?? 0 },
        kind === 'printerAlert' ? 'printer alert trap: re-polling' : 'trap received: re-polling',
      );
    },
  );
  log.info({ listen }, 'listening for SNMP traps');
  return {
    name: 'traps',
    received: () => count,
    receivedByKind: () => ({ ...byKind }),
    stop: () => new Promise<void>((resolve) => receiver.close(() => resolve())),
  };
}

/** Runtime service factory for `fleetdesk agent`. */
export function trapService(rt: AgentRuntime): Promise<RuntimeService> {
  const cfg = rt.config.traps;
  if (!cfg.enabled) return Promise.resolve({ name: 'traps', stop: () => undefined });
  return Promise.resolve(startTrapListener(rt, cfg.listen, rt.logger.child({ component: 'traps' })));
}
