/** Builders for ticket tests: customers, devices, fleet events and a policy context with injected time. */
import { DateTime } from 'luxon';
import type { FaultCode } from '../../../shared/faults.js';
import type { Fault, Subunit } from '../../../shared/snapshot.js';
import { presetContract } from '../../../server/sla/presets.js';
import type {
  AgentOfflineEvent,
  AgentOnlineEvent,
  CustomerContext,
  DeviceContext,
  DeviceUnreachableEvent,
  FaultClearedEvent,
  FaultRaisedEvent,
  FleetEvent,
} from '../../../server/events/fleetEvents.js';
import type { ImpactResult } from '../../../server/impact/impactRules.js';
import type { CustomerRef, DeviceRef, SiteRef } from '../../../server/tickets/ticket.js';
import { applyAction, type TicketAction } from '../../../server/tickets/ticketActions.js';
import { DEFAULT_POLICY, type NoticeDraft, type PolicyContext, type PolicyOutcome } from '../../../server/tickets/ticketPolicy.js';
import { applyFleetEvent } from '../../../server/tickets/ticketFleetEvents.js';
import { tickTicket } from '../../../server/tickets/ticketTimers.js';
import type { Ticket } from '../../../server/tickets/ticket.js';
import type { Impact } from '../../../server/sla/contract.js';

export const ZONE = 'Europe/Warsaw';
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export const at = (iso: string): number => DateTime.fromISO(iso, { zone: ZONE }).toMillis();
export const local = (ms: number | null | undefined): string | null =>
  ms == null ? null : DateTime.fromMillis(ms, { zone: ZONE }).toFormat("yyyy-LL-dd'T'HH:mm");

export function customer(contractId = 'device-vendor', id = 'acme'): CustomerRef {
  return { id, name: `${id} sp. z o.o.`, contact: { name: 'Anna Nowak', phone: '+48 600 100 200', email: 'anna@acme.example' }, contractId };
}

export const SITE: SiteRef = { id: 'waw-hq', name: 'Warszawa HQ' };

export function device(id = 'dev-1', model = 'LaserJet M507'): DeviceRef {
  return { id, vendor: 'HP', model, serial: `SN-${id}`, address: '127.0.0.1:161', location: 'floor 2' };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The fleet's view of a customer (events carry it; tickets record it as a CustomerRef). */
export function customerContext(contractId = 'device-vendor', id = 'acme'): CustomerContext {
  const c = customer(contractId, id);
  return { id: c.id, name: c.name, contract: c.contractId, contact: { name: c.contact.name, phone: c.contact.phone!, email: c.contact.email! } };
}

/** Agent keys in tests are "tenant:agentId", as tickets record them. */
function splitAgent(key: string): { tenant: string; agentId: string } {
  const i = key.indexOf(':');
  return { tenant: key.slice(0, i), agentId: key.slice(i + 1) };
}

export function deviceContext(dev: DeviceRef = device(), agentId = 'acme:agent-1', contractId?: string): DeviceContext {
  return {
    deviceKey: dev.id,
    ...splitAgent(agentId),
    agentDeviceId: dev.id,
    siteId: SITE.id,
    siteName: SITE.name,
    customer: customerContext(contractId),
    identity: { vendor: dev.vendor, model: dev.model, serial: dev.serial, location: dev.location },
    address: dev.address,
    critical: false,
    onlyDeviceOnSite: false,
  };
}

function impactOf(level: Impact, rule: string, queue?: 'general' | 'ink-head'): ImpactResult {
  return { level, ruleId: rule, explanation: `rule ${rule} → ${level}`, ...(queue ? { queue } : {}) };
}

export function raised(
  code: FaultCode,
  now: number,
  opts: { device?: DeviceRef; impact?: Impact; contractId?: string; agentId?: string; subunit?: Subunit; queue?: 'general' | 'ink-head' } = {},
): FaultRaisedEvent {
  const fault: Fault = { code, severity: 'critical', source: 'prtAlert', message: `${code} reported`, ...(opts.subunit ? { subunit: opts.subunit } : {}) };
  return {
    type: 'faultRaised',
    eventId: `raised-${code}-${now}`,
    at: iso(now),
    device: deviceContext(opts.device, opts.agentId, opts.contractId),
    fault,
    firstSeen: iso(now - 30_000),
    impact: impactOf(opts.impact ?? 'critical', 'test', opts.queue),
    evidence: {
      status: 'down',
      collectedAt: iso(now),
      faults: [fault],
      supplies: [
        {
          index: 1,
          name: 'Black Toner',
          kind: 'toner',
          color: 'black',
          levelPercent: 3,
          state: 'low',
          raw: { level: 3, max: 100, unit: 19, class: 3, type: 3 },
        },
      ],
      counters: { total: 12345 },
    },
  };
}

export function cleared(code: FaultCode, now: number, deviceId = 'dev-1', subunit?: Subunit): FaultClearedEvent {
  return {
    type: 'faultCleared',
    eventId: `cleared-${code}-${now}`,
    at: iso(now),
    device: deviceContext(device(deviceId)),
    fault: { code, ...(subunit ? { subunit } : {}) },
    firstSeen: iso(now - MIN),
    clearedAt: iso(now - 10_000),
  };
}

/** A toner cartridge as the Printer-MIB names it (prtMarkerSuppliesIndex). */
export function cartridge(index: number, name: string): Subunit {
  return { group: 'markerSupplies', index, name };
}

export function agentOffline(now: number, deviceIds: string[], agentId = 'acme:agent-1', reason: AgentOfflineEvent['reason'] = 'will'): AgentOfflineEvent {
  return {
    type: 'agentOffline',
    eventId: `offline-${agentId}-${now}`,
    at: iso(now),
    agent: { ...splitAgent(agentId), siteId: SITE.id, siteName: SITE.name, customer: customerContext() },
    reason,
    devices: deviceIds.map((id) => deviceContext(device(id), agentId)),
    impact: impactOf('critical', 'agent-offline'),
  };
}

export function agentOnline(now: number, agentId = 'acme:agent-1'): AgentOnlineEvent {
  return {
    type: 'agentOnline',
    eventId: `online-${agentId}-${now}`,
    at: iso(now),
    agent: { ...splitAgent(agentId), siteId: SITE.id, siteName: SITE.name, customer: customerContext() },
  };
}

export function unreachable(now: number, dev: DeviceRef, agentId = 'acme:agent-1'): DeviceUnreachableEvent {
  return {
    type: 'deviceUnreachable',
    eventId: `unreachable-${dev.id}-${now}`,
    at: iso(now),
    device: deviceContext(dev, agentId),
    since: iso(now - MIN),
    consecutiveFailures: 3,
    lastError: 'timeout',
    impact: impactOf('high', 'unreachable'),
  };
}

/** A policy context at `now`; ids T1, T2, … from a shared counter. */
export function contextFactory(config = DEFAULT_POLICY) {
  let n = 0;
  return (now: number, capUsedMinutes = 0): PolicyContext => ({
    now,
    config,
    contractFor: presetContract,
    capUsedMinutes,
    defaultContractId: 'device-vendor',
    newTicketId: () => `T${++n}`,
  });
}

/** Holds tickets between pure calls, like the repository would. */
export class World {
  readonly tickets = new Map<string, Ticket>();
  readonly notices: NoticeDraft[] = [];
  readonly ctx: (now: number, capUsedMinutes?: number) => PolicyContext;
  constructor(config = DEFAULT_POLICY) {
    this.ctx = contextFactory(config);
  }
  capUsed = 0;

  private take(o: PolicyOutcome): PolicyOutcome {
    for (const t of o.tickets) this.tickets.set(t.id, t);
    this.notices.push(...o.notices);
    return o;
  }
  signal(s: FleetEvent, now = Date.parse(s.at)): PolicyOutcome {
    return this.take(
      applyFleetEvent(
        s,
        [...this.tickets.values()].filter((t) => t.status !== 'closed'),
        this.ctx(now, this.capUsed),
      ),
    );
  }
  act(id: string, action: TicketAction, now: number): Ticket {
    return this.take(applyAction(this.get(id), action, this.ctx(now, this.capUsed))).tickets[0]!;
  }
  tick(now: number): void {
    for (const t of [...this.tickets.values()]) {
      const o = tickTicket(t, this.ctx(now));
      if (o) this.take(o);
    }
  }
  get(id: string): Ticket {
    const t = this.tickets.get(id);
    if (!t) throw new Error(`no ticket ${id}`);
    return t;
  }
  all(): Ticket[] {
    return [...this.tickets.values()];
  }
}
