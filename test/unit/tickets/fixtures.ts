/** Builders for ticket tests: customers, devices, fleet signals and a policy context with injected time. */
import { DateTime } from 'luxon';
import type { FaultCode } from '../../../shared/faults.js';
import type { Subunit } from '../../../shared/snapshot.js';
import { presetContract } from '../../../server/sla/presets.js';
import type { AgentOfflineSignal, DeviceUnreachableSignal, FaultClearedSignal, FaultRaisedSignal } from '../../../server/tickets/fleetSignals.js';
import type { CustomerRef, DeviceRef, SiteRef } from '../../../server/tickets/ticket.js';
import { applyAction, type TicketAction } from '../../../server/tickets/ticketActions.js';
import { DEFAULT_POLICY, type NoticeDraft, type PolicyContext, type PolicyOutcome } from '../../../server/tickets/ticketPolicy.js';
import { applySignal } from '../../../server/tickets/ticketSignals.js';
import { tickTicket } from '../../../server/tickets/ticketTimers.js';
import type { FleetSignal } from '../../../server/tickets/fleetSignals.js';
import type { Ticket } from '../../../server/tickets/ticket.js';
import type { Impact } from '../../../server/sla/contract.js';

export const ZONE = 'Europe/Warsaw';
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export const at = (iso: string): number => DateTime.fromISO(iso, { zone: ZONE }).toMillis();
export const local = (ms: number | null | undefined): string | null => (ms == null ? null : DateTime.fromMillis(ms, { zone: ZONE }).toFormat("yyyy-LL-dd'T'HH:mm"));

export function customer(contractId = 'device-vendor', id = 'acme'): CustomerRef {
  return { id, name: `${id} sp. z o.o.`, contact: { name: 'Anna Nowak', phone: '+48 600 100 200', email: 'anna@acme.example' }, contractId };
}

export const SITE: SiteRef = { id: 'waw-hq', name: 'Warszawa HQ' };

export function device(id = 'dev-1', model = 'LaserJet M507'): DeviceRef {
  return { id, vendor: 'HP', model, serial: `SN-${id}`, address: '127.0.0.1:161', location: 'floor 2' };
}

export function raised(code: FaultCode, now: number, opts: { device?: DeviceRef; impact?: Impact; contractId?: string; agentId?: string; subunit?: Subunit } = {}): FaultRaisedSignal {
  return {
    kind: 'fault.raised',
    at: now,
    agentId: opts.agentId ?? 'acme:agent-1',
    customer: customer(opts.contractId),
    site: SITE,
    device: opts.device ?? device(),
    code,
    ...(opts.subunit ? { subunit: opts.subunit } : {}),
    firstSeen: now - 30_000,
    impact: opts.impact ?? 'critical',
    impactRule: `rule test → ${opts.impact ?? 'critical'}`,
    evidence: { message: `${code} reported`, source: 'prtAlert', supplies: [{ name: 'Black Toner', kind: 'toner', color: 'black', levelPercent: 3, state: 'low' }], counters: { total: 12345 } },
  };
}

export function cleared(code: FaultCode, now: number, deviceId = 'dev-1', subunit?: Subunit): FaultClearedSignal {
  return { kind: 'fault.cleared', at: now, deviceId, code, ...(subunit ? { subunit } : {}), clearedAt: now - 10_000 };
}

/** A toner cartridge as the Printer-MIB names it (prtMarkerSuppliesIndex). */
export function cartridge(index: number, name: string): Subunit {
  return { group: 'markerSupplies', index, name };
}

export function agentOffline(now: number, deviceIds: string[], agentId = 'acme:agent-1', reason: AgentOfflineSignal['reason'] = 'will'): AgentOfflineSignal {
  return {
    kind: 'agent.offline',
    at: now,
    agentId,
    reason,
    customer: customer(),
    site: SITE,
    since: now,
    deviceIds,
    impact: 'critical',
    impactRule: 'rule agent-offline → critical',
    evidence: { message: `agent offline (${reason})` },
  };
}

export function unreachable(now: number, dev: DeviceRef, agentId = 'acme:agent-1'): DeviceUnreachableSignal {
  return { kind: 'device.unreachable', at: now, agentId, customer: customer(), site: SITE, device: dev, since: now - MIN, impact: 'high', impactRule: 'rule unreachable → high', evidence: { message: '3 failed polls' } };
}

/** A policy context at `now`; ids T1, T2, … from a shared counter. */
export function contextFactory(config = DEFAULT_POLICY) {
  let n = 0;
  return (now: number, capUsedMinutes = 0): PolicyContext => ({
    now,
    config,
    contractFor: presetContract,
    capUsedMinutes,
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
  signal(s: FleetSignal, now = s.at): PolicyOutcome {
    return this.take(applySignal(s, [...this.tickets.values()].filter((t) => t.status !== 'closed'), this.ctx(now, this.capUsed)));
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
