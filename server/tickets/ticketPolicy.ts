/**
 * Ticket rules, pure, in four modules by concern around this core: opening a ticket
 * (ticketOpening.ts), fleet signals (ticketFleetEvents.ts), operator actions (ticketActions.ts) and
 * timers (ticketTimers.ts). Given a signal, an action or the time, the relevant tickets and the
 * terms in force, they decide which tickets open, join, resolve, reopen or close, how their SLA
 * clocks move, and which notices go out. The SLA arithmetic is kept apart from storage: the
 * service (ticketService.ts) loads tickets, calls these functions with `now`, and saves what they
 * return. This core holds what they share: the configuration and context, notices and outcomes,
 * the contract terms of a ticket, and the moves every concern makes (re-target, reopen, resolve).
 *
 * Rules (support-contracts.md, docs/tickets-and-sla.md):
 *  - one ticket per device and fault (code + subunit, shared/faultIdentity.ts), never one per poll;
 *  - related faults of one device within `relatedWindowMs` of the ticket's opening join it; the
 *    ticket's title and impact follow its worst active fault;
 *  - a ticket resolves "by device" only when every fault it holds stayed cleared `quietPeriodMs`
 *    (flap damping); a fault back within `reopenWindowMs` of the resolution reopens; resolved
 *    tickets close when the reopen window has passed;
 *  - an agent going offline opens one site-level ticket (a clean stop after its grace:
 *    plannedStops.ts); unreachable devices of that agent join it;
 *  - lifecycle new → acknowledged → in progress → waiting for customer → resolved → closed; the
 *    first response stops the reaction clock; waiting pauses the resolution clock;
 *  - §2: after `silence` of waiting, `attempts` contact attempts, then closed as solved;
 *  - §3: written reports only carry the guarantee; past the monthly cap, no guaranteed deadline;
 *    a report outside hours starts at the next opening (the calendar does that).
 * Every change appends a history entry (who, when, what).
 */
import type { BusinessCalendar } from '../sla/businessCalendar.js';
import { onSiteTerms, termsFor, type AppliedTerms, type Contract, type Impact, type ReportChannel } from '../sla/contract.js';
import { restartClock, retargetClock, startClock, stopClock, viewClock, type SlaClockEvent, type SlaClockState } from '../sla/slaClock.js';
import { ticketFacts, type SlaClockName, type TicketFacts } from './ticketFacts.js';
import { isOpen, type HistoryVisibility, type Ticket, type TicketStatus } from './ticket.js';
import { defaultVisibility } from './ticketVisibility.js';

export interface TicketPolicyConfig {
  /** A related fault of the same device joins a ticket opened less than this long ago. */
  readonly relatedWindowMs: number;
  /** A cleared fault must stay away this long before the ticket is resolved by the device. */
  readonly quietPeriodMs: number;
  /** A fault back within this long after the resolution reopens the ticket; afterwards it closes. */
  readonly reopenWindowMs: number;
  /** An agent that announced a clean stop opens a ticket only if it is not back within this long. */
  readonly agentOfflineGraceMs: number;
}

/** The defaults of server.yaml `tickets.*` (serverConfig.ts). */
export const DEFAULT_POLICY: TicketPolicyConfig = {
  relatedWindowMs: 10 * 60_000,
  quietPeriodMs: 15 * 60_000,
  reopenWindowMs: 24 * 3_600_000,
  agentOfflineGraceMs: 5 * 60_000,
};

export interface PolicyContext {
  readonly now: number;
  readonly config: TicketPolicyConfig;
  /** Contract by id, the one in force or an exact version (throws for unknown ids). */
  readonly contractFor: (id: string, version?: number) => Contract;
  /** Minutes of the customer's monthly cap already used this month (capped channels). */
  readonly capUsedMinutes: number;
  /** Contract of customers whose fleet record names none. */
  readonly defaultContractId: string;
  /** A fresh ticket id (only called when a ticket opens). */
  readonly newTicketId: () => string;
}

export type NoticeKind =
  | 'ticket.opened'
  | 'ticket.joined'
  | 'ticket.reopened'
  | 'ticket.resolved'
  | 'ticket.closed'
  | 'ticket.escalated'
  | 'sla.warning'
  | 'sla.breach'
  | 'escalation.warning'
  | 'escalation.breach'
  | 'customer.contactAttempt';

/** How a clock is named in history lines and notice details. */
export const CLOCK_LABEL: Readonly<Record<SlaClockName, string>> = { reaction: 'reaction', resolution: 'resolution', onSite: 'on-site arrival' };

/** A notice as the rules decide it; the service adds the ticket's facts once the outcome is final (`Notice`). */
export interface NoticeDraft {
  readonly kind: NoticeKind;
  readonly ticketId: string;
  readonly at: number;
  /** Human-readable, English; listeners that need facts read the fields below, never this text. */
  readonly detail: string;
  /** sla.warning / sla.breach / escalation.*: which clock. */
  readonly clock?: SlaClockName;
  /** customer.contactAttempt: the attempt's number (1 = first). */
  readonly attempt?: number;
  /** escalation.*: whether the vendor's dispatch lists hear it (contract `escalation.notify`). */
  readonly notifyDispatch?: boolean;
  /** escalation.*: the contract's manager address, when it is notified. */
  readonly managerEmail?: string;
}

/**
 * A notice as listeners get it: the rules' notice with the facts of its ticket as the change left
 * it, and the customer's contact e-mail (notifications to the customer); no listener re-reads the ticket.
 */
export interface Notice extends NoticeDraft {
  readonly ticket: TicketFacts;
  readonly contactEmail: string | null;
}

/** The notices of a final outcome with their tickets' facts; every notice is about a ticket of the outcome. */
export function noticesOf(outcome: PolicyOutcome): Notice[] {
  return outcome.notices.map((n) => {
    const t = outcome.tickets.find((x) => x.id === n.ticketId);
    if (!t) throw new Error(`notice ${n.kind} is about ticket ${n.ticketId}, which the outcome does not hold`);
    return { ...n, ticket: ticketFacts(t, n.clock ?? null), contactEmail: t.customer.contact.email ?? null };
  });
}

export interface PolicyOutcome {
  /** Tickets created or changed (to be saved). */
  readonly tickets: Ticket[];
  readonly notices: NoticeDraft[];
}

export type { SlaClockName };

export class TicketActionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TicketActionError';
  }
}

export const SYSTEM = 'system';

/** Adds a history entry; its visibility is the default of its kind unless named (ticketVisibility.ts). */
export function log(t: Ticket, at: number, by: string, what: string, detail: string, visibility: HistoryVisibility = defaultVisibility(what)): Ticket {
  return { ...t, history: [...t.history, { at, by, what, detail, visibility }] };
}

/** The contract version the ticket was opened (or last re-targeted) under: edits made since do not apply to it. */
export function ticketContract(t: Ticket, contractFor: (id: string, version?: number) => Contract): Contract {
  return contractFor(t.sla.contractId, t.sla.contractVersion ?? 0);
}

function withoutVersion(sla: Ticket['sla']): Ticket['sla'] {
  const { contractVersion: _dropped, ...rest } = sla;
  return rest;
}

/** How a ticket records the contract it runs under. */
export function contractRef(contract: Contract): Pick<Ticket['sla'], 'contractId' | 'contractVersion'> {
  return contract.version ? { contractId: contract.spec.id, contractVersion: contract.version } : { contractId: contract.spec.id };
}

/** The terms the ticket's clocks run under now. */
export function ticketTerms(t: Ticket, contractFor: (id: string, version?: number) => Contract): AppliedTerms {
  return termsFor(ticketContract(t, contractFor), t.impact, t.sla.level);
}

export function onSiteCalendar(contract: Contract, terms: AppliedTerms): BusinessCalendar {
  return onSiteTerms(contract, terms).calendar;
}

function fmtHours(minutes: number): string {
  return `${Math.round((minutes / 60) * 100) / 100} h`;
}

/** Whether a new report gets a guaranteed reaction, and why not. */
export function guarantee(
  contract: Contract,
  terms: AppliedTerms,
  channel: ReportChannel,
  capUsedMinutes: number,
): { guaranteed: boolean; reason: string | null; capExhausted: boolean } {
  const cap = contract.spec.monthlyCap;
  const capExhausted = cap !== null && capUsedMinutes >= cap.hours * 60;
  if (terms.reactionMs === null)
    return { guaranteed: false, reason: `contract ${contract.spec.id} guarantees no reaction time for level ${terms.level}`, capExhausted };
  if (!contract.spec.guaranteedChannels.includes(channel)) {
    return {
      guaranteed: false,
      reason: `reports by ${channel} carry no guarantee under ${contract.spec.id} (guaranteed: ${contract.spec.guaranteedChannels.join(', ')})`,
      capExhausted,
    };
  }
  if (cap && capExhausted) {
    return {
      guaranteed: false,
      reason: `monthly cap of ${cap.hours} h guaranteed support time used up (${fmtHours(capUsedMinutes)} this month)`,
      capExhausted,
    };
  }
  return { guaranteed: true, reason: null, capExhausted };
}

/**
 * How a clock's target moves with an impact change:
 *  - `keepElapsed` (an operator's change of impact or contract): the new terms' target, elapsed working time kept;
 *  - `raise` (a worse fault joined): the earlier of the deadline in force and this instant plus the
 *    new, shorter target; a worse fault joining late never makes the ticket overdue at once, and never
 *    gives it more time than it had;
 *  - `lower` (the worse fault cleared): the target in force stays; a deadline once promised to the
 *    customer never moves later, and a breach stays a breach.
 */
export type RetargetMode = 'keepElapsed' | 'raise' | 'lower';

function movedTarget(mode: RetargetMode, c: SlaClockState, oldCal: BusinessCalendar, now: number, contractTarget: number | null): number | null {
  if (mode === 'keepElapsed' || c.targetMs === null) return contractTarget;
  if (mode === 'lower' || contractTarget === null) return c.targetMs;
  return Math.min(c.targetMs, viewClock(c, oldCal, now).consumedMs + contractTarget);
}

/** Moves the clocks to new terms from `now` on, keeping the elapsed working time. */
export function retarget(
  t: Ticket,
  contract: Contract,
  impact: Impact,
  level: string | undefined,
  ctx: PolicyContext,
  mode: RetargetMode = 'keepElapsed',
): Ticket {
  const oldTerms = ticketTerms(t, ctx.contractFor);
  const oldContract = ticketContract(t, ctx.contractFor);
  const terms = termsFor(contract, impact, level);
  // Channel and level decide again under the new terms; a report that came in past the cap stays without guarantee.
  const g = t.sla.capExhausted ? { guaranteed: false, reason: t.sla.noGuaranteeReason } : guarantee(contract, terms, t.channel, 0);
  const keepGuarantee = g.guaranteed;
  const move = (c: SlaClockState | null, target: number | null): SlaClockState | null =>
    c === null
      ? null
      : c.state === 'stopped'
        ? c
        : retargetClock(
            c,
            oldTerms.calendar,
            terms.calendar,
            ctx.now,
            keepGuarantee ? movedTarget(mode, c, oldTerms.calendar, ctx.now, target) : null,
            terms.warnAtShare,
          );
  let resolution = move(t.sla.resolution, terms.resolutionMs);
  if (resolution === null && terms.resolutionMs !== null && isOpen(t)) {
    // The new terms promise a resolution the old ones did not: count from the opening, in the new calendar.
    resolution = startClock(terms.calendar, t.openedAt, keepGuarantee ? terms.resolutionMs : null, terms.warnAtShare);
  }
  if (resolution !== null && terms.resolutionMs === null && resolution.state !== 'stopped') resolution = null;
  const onSite =
    t.sla.onSite && t.sla.onSite.state !== 'stopped'
      ? retargetClock(
          t.sla.onSite,
          onSiteCalendar(oldContract, oldTerms),
          onSiteCalendar(contract, terms),
          ctx.now,
          onSiteTerms(contract, terms).targetMs,
          terms.warnAtShare,
        )
      : t.sla.onSite;
  return {
    ...t,
    impact,
    sla: {
      // A move to another contract drops the old version number with the rest of the old terms.
      ...withoutVersion(t.sla),
      ...contractRef(contract),
      level: terms.level,
      calendarName: terms.calendarName,
      guaranteed: keepGuarantee,
      noGuaranteeReason: g.reason,
      reaction: move(t.sla.reaction, terms.reactionMs)!,
      resolution,
      onSite,
    },
  };
}

export function reopen(t: Ticket, ctx: PolicyContext, why: string, by = SYSTEM): { ticket: Ticket; notice: NoticeDraft } {
  const terms = ticketTerms(t, ctx.contractFor);
  const status: TicketStatus = t.firstResponseAt === null ? 'new' : 'inProgress';
  const reaction = t.firstResponseAt === null ? restartClock(t.sla.reaction, terms.calendar, ctx.now) : t.sla.reaction;
  const resolution = t.sla.resolution ? restartClock(t.sla.resolution, terms.calendar, ctx.now) : null;
  const next: Ticket = {
    ...t,
    status,
    resolution: null,
    resolvedAt: null,
    quietSince: null,
    reopenCount: t.reopenCount + 1,
    sla: { ...t.sla, reaction, resolution },
  };
  return { ticket: log(next, ctx.now, by, 'reopened', why), notice: { kind: 'ticket.reopened', ticketId: t.id, at: ctx.now, detail: why } };
}

export function resolve(
  t: Ticket,
  ctx: PolicyContext,
  by: string,
  resolution: NonNullable<Ticket['resolution']>,
  why: string,
): { ticket: Ticket; notices: NoticeDraft[] } {
  const terms = ticketTerms(t, ctx.contractFor);
  const contract = ticketContract(t, ctx.contractFor);
  const notices: NoticeDraft[] = [];
  const stop = (c: SlaClockState | null, cal: BusinessCalendar, clock: SlaClockName): SlaClockState | null => {
    if (c === null) return null;
    const r = stopClock(c, cal, ctx.now);
    notices.push(...clockNotices(t.id, clock, r.events));
    return r.clock;
  };
  const human = by !== SYSTEM;
  const next: Ticket = {
    ...t,
    status: 'resolved',
    resolution,
    resolvedAt: ctx.now,
    quietSince: null,
    waiting: null,
    // Resolving by hand is a response; resolved by the device before anyone answered is not.
    firstResponseAt: t.firstResponseAt ?? (human ? ctx.now : null),
    sla: {
      ...t.sla,
      reaction: stop(t.sla.reaction, terms.calendar, 'reaction')!,
      resolution: stop(t.sla.resolution, terms.calendar, 'resolution'),
      onSite: stop(t.sla.onSite, onSiteCalendar(contract, terms), 'onSite'),
    },
  };
  notices.push({ kind: 'ticket.resolved', ticketId: t.id, at: ctx.now, detail: why });
  return { ticket: log(next, ctx.now, by, 'resolved', why), notices };
}

export function clockNotices(ticketId: string, clock: SlaClockName, events: readonly SlaClockEvent[]): NoticeDraft[] {
  const name = CLOCK_LABEL[clock];
  return events.map((e) => ({
    kind: e.kind,
    ticketId,
    at: e.at,
    detail:
      e.kind === 'sla.warning'
        ? `${name} target: warning share reached at ${new Date(e.at).toISOString()}`
        : `${name} target breached at ${new Date(e.at).toISOString()}`,
    clock,
  }));
}

export function canReopen(t: Ticket, ctx: PolicyContext): boolean {
  return t.status === 'resolved' && t.resolvedAt !== null && ctx.now - t.resolvedAt <= ctx.config.reopenWindowMs;
}
