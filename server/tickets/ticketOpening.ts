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
import { isOpen, type CustomerRef, type DeviceRef, type FaultEvidence, type ReporterContact, type SiteRef, type Ticket, type TicketFault } from './ticket.js';

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

/** A report by a person (phone, e-mail, form, portal, chat, call-back), its parties resolved by the intake (server/intake). */
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
  /** Who reported it (absent: the operator who typed it in). */
  readonly reporter?: ReporterContact;
  /** The report's own reference (an e-mail Message-ID): the same report seen again is taken once. */
  readonly externalRef?: string;
  readonly by: string;
  /** Bug or support (default support: uses the monthly cap). */
  readonly matter?: Matter;
}

/** Opens a ticket for a person's report (no duplicate check: see `takeReport`). */
export function openReportedTicket(report: ManualReport, ctx: PolicyContext): PolicyOutcome {
  const contract = ctx.contractFor(report.customer.contractId);
  if (report.level !== undefined && !contract.spec.levels.some((l) => l.id === report.level)) {
    throw new TicketActionError(
      `contract ${contract.spec.id} has no level ${JSON.stringify(report.level)} (levels: ${contract.spec.levels.map((l) => l.id).join(', ')})`,
    );
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
  const withText: Ticket = {
    ...ticket,
    ...(report.matter ? { matter: report.matter } : {}),
    comments: report.description === '' ? [] : [{ at: ctx.now, by: report.by, text: report.description, public: true }],
    ...(report.reporter !== undefined ? { reporter: report.reporter } : {}),
    ...(report.externalRef !== undefined ? { externalRefs: [report.externalRef] } : {}),
  };
  return { tickets: [withText], notices: [notice] };
}

/** What a report did: opened a ticket, joined an open one of the same device (`duplicateOf`), or was already taken. */
export interface ReportOutcome extends PolicyOutcome {
  /** The ticket the report is on, as the outcome leaves it. */
  readonly ticket: Ticket;
  /** Set when the report did not open a ticket: the open ticket it was added to, or the one that already holds its reference. */
  readonly duplicateOf: string | null;
}

/** Does a ticket concern the device (its own device, or a device of its faults)? */
function aboutDevice(t: Ticket, deviceId: string): boolean {
  return t.device?.id === deviceId || t.faults.some((f) => f.deviceId === deviceId);
}

/**
 * Takes a person's report, given the tickets that may concern it (same device, same reference):
 *  - a reference already held by a ticket (the same e-mail read again): nothing changes;
 *  - an open ticket of the same customer about the same device (not a supply order): the report
 *    is added to its history and comments instead of opening another (the earliest opened wins);
 *  - otherwise a new ticket under the customer's contract, with the same SLA clock as a fault's.
 */
export function takeReport(report: ManualReport, candidates: readonly Ticket[], ctx: PolicyContext): ReportOutcome {
  const ref = report.externalRef;
  const seen = ref === undefined ? undefined : candidates.find((t) => t.customer.id === report.customer.id && t.externalRefs?.includes(ref));
  if (seen) return { tickets: [], notices: [], ticket: seen, duplicateOf: seen.id };
  const device = report.device;
  const open =
    device === null
      ? []
      : candidates.filter((t) => isOpen(t) && t.customer.id === report.customer.id && t.supplyOrder === undefined && aboutDevice(t, device.id));
  const existing = [...open].sort((a, b) => a.openedAt - b.openedAt || a.id.localeCompare(b.id))[0];
  if (!existing) {
    const out = openReportedTicket(report, ctx);
    return { ...out, ticket: out.tickets[0]!, duplicateOf: null };
  }
  const who = reporterLabel(report.reporter) ?? report.by;
  const joined = log(
    {
      ...existing,
      comments: [
        ...existing.comments,
        { at: ctx.now, by: report.by, text: report.description === '' ? report.title : `${report.title}\n\n${report.description}`, public: true },
      ],
      ...(ref !== undefined ? { externalRefs: [...(existing.externalRefs ?? []), ref] } : {}),
    },
    ctx.now,
    report.by,
    'duplicate report',
    `${report.channel} report by ${who} on the same device: ${report.title}`,
  );
  return { tickets: [joined], notices: [], ticket: joined, duplicateOf: existing.id };
}

/** "Name <e-mail>" or whichever of name, e-mail, phone is known. */
export function reporterLabel(c: ReporterContact | undefined): string | null {
  if (!c) return null;
  if (c.name && c.email) return `${c.name} <${c.email}>`;
  return c.name ?? c.email ?? c.phone ?? null;
}
