/**
 * Opening a ticket (ticketPolicy.ts core): the record with its SLA clocks under the customer's
 * contract, from monitoring (ticketFleetEvents.ts, supplyOrderPolicy.ts) or from a person's report.
 */
import { DateTime } from 'luxon';
import { faultIdentity, type FaultIdentity } from '../../shared/faultIdentity.js';
import { FAULTS } from '../../shared/faults.js';
import { queueFor, termsFor, type Impact, type Matter, type ReportChannel } from '../sla/contract.js';
import { startClock } from '../sla/slaClock.js';
import { contractRef, guarantee, log, TicketActionError, type NoticeDraft, type PolicyContext, type PolicyOutcome } from './ticketPolicy.js';
import type { CustomerRef, DeviceRef, FaultEvidence, SiteRef, Ticket, TicketFault } from './ticket.js';

export interface NewTicketInput {
  readonly kind: 'device' | 'site';
  readonly key: string;
  readonly title: string;
  readonly channel: ReportChannel;
  readonly customer: CustomerRef;
  readonly site: SiteRef;
  readonly agentId: string;
  readonly device: DeviceRef | null;
  readonly affectedDevices: readonly string[];
  readonly fault: TicketFault | null;
  readonly impact: Impact;
  readonly impactRule: string;
  readonly firstSeen: number;
  readonly queue?: string;
  readonly level?: string;
  readonly by: string;
}

export function openTicket(input: NewTicketInput, ctx: PolicyContext): { ticket: Ticket; notice: NoticeDraft } {
  const contract = ctx.contractFor(input.customer.contractId);
  // A level from the classification that this contract does not know falls back to the contract's own mapping.
  const level = input.level !== undefined && contract.spec.levels.some((l) => l.id === input.level) ? input.level : undefined;
  const terms = termsFor(contract, input.impact, level);
  const g = guarantee(contract, terms, input.channel, ctx.capUsedMinutes);
  const at = ctx.now;
  const code = input.fault?.code;
  const def = code ? FAULTS[code] : undefined;
  const id = ctx.newTicketId();
  const ticket: Ticket = {
    id,
    kind: input.kind,
    key: input.key,
    title: input.title,
    status: 'new',
    resolution: null,
    tier: 'L1',
    assignee: null,
    queue: input.queue ?? queueFor(contract, { inkOrHead: def?.inkOrHead ?? false, connectivity: def?.category === 'connectivity' }),
    channel: input.channel,
    customer: input.customer,
    site: input.site,
    agentId: input.agentId,
    device: input.device,
    affectedDevices: [...input.affectedDevices],
    faults: input.fault ? [input.fault] : [],
    impact: input.impact,
    impactRule: input.impactRule,
    openedAt: at,
    firstSeen: input.firstSeen,
    firstResponseAt: null,
    quietSince: null,
    resolvedAt: null,
    closedAt: null,
    reopenCount: 0,
    escalations: 0,
    waiting: null,
    waitedForCustomer: false,
    sla: {
      ...contractRef(contract),
      level: terms.level,
      calendarName: terms.calendarName,
      guaranteed: g.guaranteed,
      noGuaranteeReason: g.reason,
      capExhausted: g.capExhausted,
      reaction: startClock(terms.calendar, at, g.guaranteed ? terms.reactionMs : null, terms.warnAtShare),
      resolution: terms.resolutionMs === null ? null : startClock(terms.calendar, at, g.guaranteed ? terms.resolutionMs : null, terms.warnAtShare),
      onSite: null,
    },
    comments: [],
    timeEntries: [],
    history: [],
    revision: 0,
  };
  const detail = `${input.title}; impact ${input.impact} (${input.impactRule}); contract ${contract.spec.id} level ${terms.level}; ${
    // In the contract calendar's zone: the time the desk and the customer read on their clocks.
    g.guaranteed
      ? `reaction due ${DateTime.fromMillis(ticket.sla.reaction.deadlineAt!, { zone: terms.calendar.zone }).toISO({ suppressMilliseconds: true })}`
      : `no guaranteed reaction: ${g.reason}`
  }`;
  return { ticket: log(ticket, at, input.by, 'opened', detail), notice: { kind: 'ticket.opened', ticketId: id, at, detail } };
}

/** A fault as the ticket holds it: its identity (shared/faultIdentity.ts), the subunit's name for labels, impact and evidence. */
export function faultOf(
  s: FaultIdentity & { readonly firstSeen: number; readonly impact: Impact; readonly impactRule?: string; readonly evidence: FaultEvidence },
  deviceId: string,
  at: number,
): TicketFault {
  const id = faultIdentity(s);
  return {
    code: s.code,
    subunit: id.subunit ? { ...id.subunit, ...(s.subunit?.name !== undefined ? { name: s.subunit.name } : {}) } : null,
    ...(id.rawCode !== undefined ? { rawCode: id.rawCode } : {}),
    deviceId,
    firstSeen: s.firstSeen,
    raisedAt: at,
    lastRaisedAt: at,
    clearedAt: null,
    active: true,
    occurrences: 1,
    impact: s.impact,
    ...(s.impactRule !== undefined ? { impactRule: s.impactRule } : {}),
    evidence: s.evidence,
  };
}

/** Opens a ticket reported by a person (e-mail, form, phone, call-back). */
export interface ManualReport {
  readonly title: string;
  readonly channel: ReportChannel;
  readonly customer: CustomerRef;
  readonly site: SiteRef;
  readonly device: DeviceRef | null;
  readonly impact: Impact;
  /** A level of the contract's own scale (e.g. "sev5" for a feature request); default: mapped from impact. */
  readonly level?: string;
  readonly description: string;
  readonly occurredAt?: number;
  readonly by: string;
  /** Bug or support (default support: uses the monthly cap). */
  readonly matter?: Matter;
}

export function openManualTicket(report: ManualReport, ctx: PolicyContext): PolicyOutcome {
  const contract = ctx.contractFor(report.customer.contractId);
  if (report.level !== undefined && !contract.spec.levels.some((l) => l.id === report.level)) {
    throw new TicketActionError(`contract ${contract.spec.id} has no level ${JSON.stringify(report.level)} (levels: ${contract.spec.levels.map((l) => l.id).join(', ')})`);
  }
  const { ticket, notice } = openTicket(
    {
      kind: 'device',
      key: `manual:${ctx.now}:${report.customer.id}`,
      title: report.title,
      channel: report.channel,
      customer: report.customer,
      site: report.site,
      agentId: '',
      device: report.device,
      affectedDevices: report.device ? [report.device.id] : [],
      fault: null,
      impact: report.impact,
      impactRule: `reported by ${report.by}`,
      firstSeen: report.occurredAt ?? ctx.now,
      level: report.level,
      by: report.by,
    },
    ctx,
  );
  const withText: Ticket = { ...ticket, ...(report.matter ? { matter: report.matter } : {}), comments: [{ at: ctx.now, by: report.by, text: report.description, public: true }] };
  return { tickets: [withText], notices: [notice] };
}
