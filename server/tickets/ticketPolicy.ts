/**
 * Ticket rules, pure: given a fleet signal or an operator action, the relevant tickets and the
 * terms in force, decide which tickets open, join, resolve, reopen or close, how their SLA clocks
 * move, and which notices go out. Like Zammad's lib/escalation, the SLA arithmetic is kept
 * apart from storage: the service (ticketService.ts) loads tickets, calls these functions with
 * `now`, and saves what they return.
 *
 * Rules (support-contracts.md):
 *  - one ticket per device and fault code, never one per poll (dedup);
 *  - related faults of one device (same fault category) within `relatedWindowMs` of the ticket's
 *    opening join it (toner empty + toner low); the more severe impact wins;
 *  - a cleared fault resolves the ticket "by device" only after `quietPeriodMs` without it coming
 *    back (flap damping); a fault back within `reopenWindowMs` of the resolution reopens;
 *    resolved tickets close when the reopen window has passed;
 *  - an agent going offline opens one site-level ticket; unreachable devices of that agent join it;
 *  - lifecycle new → acknowledged → in progress → waiting for customer → resolved → closed; the
 *    first response stops the reaction clock; waiting pauses the resolution clock;
 *  - §2: after `silence` of waiting, `attempts` contact attempts, then closed as solved;
 *  - §3: written reports only carry the guarantee; past the monthly cap, no guaranteed deadline;
 *    a report outside hours starts at the next opening (the calendar does that).
 * Every change appends a history entry (who, when, what).
 */
import { DateTime } from 'luxon';
import { faultIdentity, faultKey, type FaultIdentity } from '../../shared/faultIdentity.js';
import { FAULTS, type FaultCode } from '../../shared/faults.js';
import type { BusinessCalendar } from '../sla/businessCalendar.js';
import { ticketFacts, type SlaClockName, type TicketFacts } from './ticketFacts.js';
import { IMPACT_RANK, onSiteTerms, queueFor, termsFor, Tier, wallDurationMs, type AppliedTerms, type Contract, type Impact, type ReportChannel, type WorkChannel } from '../sla/contract.js';
import {
  evaluateClock,
  nextClockDue,
  pauseClock,
  restartClock,
  resumeClock,
  retargetClock,
  startClock,
  stopClock,
  viewClock,
  type SlaClockEvent,
  type SlaClockState,
} from '../sla/slaClock.js';
import type { AgentOfflineSignal, DeviceUnreachableSignal, FaultRaisedSignal, FleetSignal } from './fleetSignals.js';
import { isFault, isOpen, ticketFaultLabel, type CustomerRef, type DeviceRef, type FaultEvidence, type SiteRef, type Ticket, type TicketFault, type TicketStatus } from './ticket.js';

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
  | 'customer.contactAttempt';


/** How a clock is named in history lines and notice details. */
const CLOCK_LABEL: Readonly<Record<SlaClockName, string>> = { reaction: 'reaction', resolution: 'resolution', onSite: 'on-site arrival' };

/** A notice as the rules decide it; the service adds the ticket's facts once the outcome is final (`Notice`). */
export interface NoticeDraft {
  readonly kind: NoticeKind;
  readonly ticketId: string;
  readonly at: number;
  /** Human-readable, English; listeners that need facts read the fields below, never this text. */
  readonly detail: string;
  /** sla.warning / sla.breach: which clock. */
  readonly clock?: SlaClockName;
  /** customer.contactAttempt: the attempt's number (1 = first). */
  readonly attempt?: number;
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

export function log(t: Ticket, at: number, by: string, what: string, detail: string): Ticket {
  return { ...t, history: [...t.history, { at, by, what, detail }] };
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
function contractRef(contract: Contract): Pick<Ticket['sla'], 'contractId' | 'contractVersion'> {
  return contract.version ? { contractId: contract.spec.id, contractVersion: contract.version } : { contractId: contract.spec.id };
}

/** The terms the ticket's clocks run under now. */
export function ticketTerms(t: Ticket, contractFor: (id: string, version?: number) => Contract): AppliedTerms {
  return termsFor(ticketContract(t, contractFor), t.impact, t.sla.level);
}

function onSiteCalendar(contract: Contract, terms: AppliedTerms): BusinessCalendar {
  return onSiteTerms(contract, terms).calendar;
}

function fmtHours(minutes: number): string {
  return `${Math.round((minutes / 60) * 100) / 100} h`;
}

/** Whether a new report gets a guaranteed reaction, and why not. */
export function guarantee(contract: Contract, terms: AppliedTerms, channel: ReportChannel, capUsedMinutes: number): { guaranteed: boolean; reason: string | null; capExhausted: boolean } {
  const cap = contract.spec.monthlyCap;
  const capExhausted = cap !== null && capUsedMinutes >= cap.hours * 60;
  if (terms.reactionMs === null) return { guaranteed: false, reason: `contract ${contract.spec.id} guarantees no reaction time for level ${terms.level}`, capExhausted };
  if (!contract.spec.guaranteedChannels.includes(channel)) {
    return { guaranteed: false, reason: `reports by ${channel} carry no guarantee under ${contract.spec.id} (guaranteed: ${contract.spec.guaranteedChannels.join(', ')})`, capExhausted };
  }
  if (cap && capExhausted) {
    return { guaranteed: false, reason: `monthly cap of ${cap.hours} h guaranteed support time used up (${fmtHours(capUsedMinutes)} this month)`, capExhausted };
  }
  return { guaranteed: true, reason: null, capExhausted };
}

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
function retarget(t: Ticket, contract: Contract, impact: Impact, level: string | undefined, ctx: PolicyContext, mode: RetargetMode = 'keepElapsed'): Ticket {
  const oldTerms = ticketTerms(t, ctx.contractFor);
  const oldContract = ticketContract(t, ctx.contractFor);
  const terms = termsFor(contract, impact, level);
  // Channel and level decide again under the new terms; a report that came in past the cap stays without guarantee.
  const g = t.sla.capExhausted
    ? { guaranteed: false, reason: t.sla.noGuaranteeReason }
    : guarantee(contract, terms, t.channel, 0);
  const keepGuarantee = g.guaranteed;
  const move = (c: SlaClockState | null, target: number | null): SlaClockState | null =>
    c === null
      ? null
      : c.state === 'stopped'
        ? c
        : retargetClock(c, oldTerms.calendar, terms.calendar, ctx.now, keepGuarantee ? movedTarget(mode, c, oldTerms.calendar, ctx.now, target) : null, terms.warnAtShare);
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

function reopen(t: Ticket, ctx: PolicyContext, why: string, by = SYSTEM): { ticket: Ticket; notice: NoticeDraft } {
  const terms = ticketTerms(t, ctx.contractFor);
  const status: TicketStatus = t.firstResponseAt === null ? 'new' : 'inProgress';
  const reaction = t.firstResponseAt === null ? restartClock(t.sla.reaction, terms.calendar, ctx.now) : t.sla.reaction;
  const resolution = t.sla.resolution ? restartClock(t.sla.resolution, terms.calendar, ctx.now) : null;
  const next: Ticket = { ...t, status, resolution: null, resolvedAt: null, quietSince: null, reopenCount: t.reopenCount + 1, sla: { ...t.sla, reaction, resolution } };
  return { ticket: log(next, ctx.now, by, 'reopened', why), notice: { kind: 'ticket.reopened', ticketId: t.id, at: ctx.now, detail: why } };
}

export function resolve(t: Ticket, ctx: PolicyContext, by: string, resolution: NonNullable<Ticket['resolution']>, why: string): { ticket: Ticket; notices: NoticeDraft[] } {
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

function clockNotices(ticketId: string, clock: SlaClockName, events: readonly SlaClockEvent[]): NoticeDraft[] {
  const name = CLOCK_LABEL[clock];
  return events.map((e) => ({
    kind: e.kind,
    ticketId,
    at: e.at,
    detail: e.kind === 'sla.warning' ? `${name} target: warning share reached at ${new Date(e.at).toISOString()}` : `${name} target breached at ${new Date(e.at).toISOString()}`,
    clock,
  }));
}

function canReopen(t: Ticket, ctx: PolicyContext): boolean {
  return t.status === 'resolved' && t.resolvedAt !== null && ctx.now - t.resolvedAt <= ctx.config.reopenWindowMs;
}

function deviceKey(deviceId: string, fault: FaultIdentity): string {
  return `device:${deviceId}:${faultKey(fault)}`;
}

function siteKey(agentId: string): string {
  return `agent:${agentId}`;
}

/**
 * Applies one fleet signal. `tickets` must hold every non-closed ticket of the signal's device
 * (for agent signals: of the agent); others are ignored.
 */
export function applySignal(signal: FleetSignal, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  switch (signal.kind) {
    case 'fault.raised':
      return faultRaised(signal, tickets, ctx);
    case 'fault.cleared':
      return faultCleared(signal.deviceId, signal, signal.clearedAt, tickets, ctx);
    case 'device.unreachable':
      return deviceUnreachable(signal, tickets, ctx);
    case 'device.reachable':
      return faultCleared(signal.deviceId, { code: 'device.unreachable' }, signal.since, tickets, ctx);
    case 'agent.offline':
      return agentOffline(signal, tickets, ctx);
    case 'agent.online':
      return agentOnline(signal.agentId, signal.at, tickets, ctx);
  }
}

/**
 * Faults of one device that belong on one ticket when they come within the related window: same
 * category (toner low + toner empty). An unclassified alert is related to anything: a device
 * often reports one condition both as a known code and as an alert row we cannot name (the
 * "service requested" bit with an "other" alert), and that must not open a second ticket.
 */
function related(a: FaultCode, b: FaultCode): boolean {
  return a === 'unclassified' || b === 'unclassified' || FAULTS[a].category === FAULTS[b].category;
}

function faultRaised(s: FaultRaisedSignal, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  const mine = tickets.filter((t) => t.kind === 'device' && t.device?.id === s.device.id && t.status !== 'closed');
  const label = ticketFaultLabel({ code: s.code, subunit: s.subunit ?? null }, 'en');
  // 1. The same fault already has a live (or recently resolved) ticket.
  const same = mine.filter((t) => t.faults.some((f) => isFault(f, s.device.id, s)));
  const live = same.find((t) => isOpen(t));
  if (live) return followFaults(repeatFault(live, s, ctx), ctx, []);
  const recent = same.filter((t) => canReopen(t, ctx)).sort((a, b) => b.resolvedAt! - a.resolvedAt!)[0];
  if (recent) {
    const r = reopen(repeatFault(recent, s, ctx), ctx, `${label} back within the reopen window`);
    return followFaults(r.ticket, ctx, [r.notice]);
  }
  // 2. A related fault of the device on a ticket opened within the window: join.
  const joinable = mine
    // Proactive supply orders (supplyOrderPolicy.ts) are not faults: nothing joins them.
    .filter((t) => isOpen(t) && t.supplyOrder === undefined && ctx.now - t.openedAt <= ctx.config.relatedWindowMs && t.faults.some((f) => f.deviceId === s.device.id && related(f.code, s.code)))
    .sort((a, b) => a.openedAt - b.openedAt)[0];
  if (joinable) {
    const joined = log({ ...joinable, faults: [...joinable.faults, faultOf(s, s.device.id, ctx.now)], quietSince: null }, ctx.now, SYSTEM, 'fault joined', `related fault ${label} (${s.code}) joined`);
    const notice: NoticeDraft = { kind: 'ticket.joined', ticketId: joinable.id, at: ctx.now, detail: `${label} joined ${joinable.id}` };
    return followFaults(joined, ctx, [notice]);
  }
  // 3. A new ticket.
  const { ticket, notice } = openTicket(
    {
      kind: 'device',
      key: deviceKey(s.device.id, s),
      title: `${label} on ${s.device.model ?? s.device.id} at ${s.site.name}`,
      channel: 'monitoring',
      customer: s.customer,
      site: s.site,
      agentId: s.agentId,
      device: s.device,
      affectedDevices: [s.device.id],
      fault: faultOf(s, s.device.id, ctx.now),
      impact: s.impact,
      impactRule: s.impactRule,
      firstSeen: s.firstSeen,
      level: s.level,
      queue: s.queue,
      by: SYSTEM,
    },
    ctx,
  );
  return { tickets: [ticket], notices: [notice] };
}

/** The fault was raised again: refresh its evidence and impact; if it had cleared, it is back (flap). */
function repeatFault(t: Ticket, s: FaultRaisedSignal, ctx: PolicyContext): Ticket {
  let back = false;
  const faults = t.faults.map((f) => {
    if (!isFault(f, s.device.id, s)) return f;
    back = back || !f.active;
    return { ...f, active: true, clearedAt: null, lastRaisedAt: ctx.now, occurrences: f.occurrences + 1, impact: s.impact, impactRule: s.impactRule, evidence: s.evidence };
  });
  const next = { ...t, faults, quietSince: null };
  return back ? log(next, ctx.now, SYSTEM, 'fault back', `${ticketFaultLabel({ code: s.code, subunit: s.subunit ?? null }, 'en')} raised again after clearing`) : next;
}

/**
 * A device ticket's title and impact follow the faults it holds now: its worst active fault names
 * it, and its impact is that fault's. A worse fault joining raises the impact at once; the worse
 * fault clearing lowers it (unless an operator set the impact by hand). Both are recorded in the
 * history. The SLA deadline rule of each move is in `raisedClocks` / `loweredClocks`.
 */
function followFaults(t: Ticket, ctx: PolicyContext, notices: NoticeDraft[]): PolicyOutcome {
  const active = t.faults.filter((f) => f.active);
  if (t.kind !== 'device' || t.supplyOrder !== undefined || active.length === 0) return { tickets: [t], notices };
  const worst = [...active].sort((a, b) => IMPACT_RANK[a.impact] - IMPACT_RANK[b.impact] || a.raisedAt - b.raisedAt)[0]!;
  const more = active.length > 1 ? ` (+${active.length - 1} more)` : '';
  const title = `${ticketFaultLabel(worst, 'en')}${more} on ${t.device?.model ?? t.device?.id ?? t.agentId} at ${t.site.name}`;
  let next = title === t.title ? t : log({ ...t, title }, ctx.now, SYSTEM, 'title changed', `${t.title} → ${title}`);
  const rule = worst.impactRule ?? t.impactRule;
  const manual = t.impactRule.startsWith('manual:');
  if (IMPACT_RANK[worst.impact] < IMPACT_RANK[t.impact]) {
    const moved = retarget(next, ticketContract(next, ctx.contractFor), worst.impact, undefined, ctx, 'raise');
    next = log({ ...moved, impactRule: rule }, ctx.now, SYSTEM, 'impact raised', `impact ${t.impact} → ${worst.impact} (${ticketFaultLabel(worst, 'en')}: ${rule}); deadlines: the earlier of the one in force and this instant plus the ${worst.impact} target`);
  } else if (IMPACT_RANK[worst.impact] > IMPACT_RANK[t.impact] && !manual) {
    const moved = retarget(next, ticketContract(next, ctx.contractFor), worst.impact, undefined, ctx, 'lower');
    next = log({ ...moved, impactRule: rule }, ctx.now, SYSTEM, 'impact lowered', `impact ${t.impact} → ${worst.impact}: the worse fault cleared, ${ticketFaultLabel(worst, 'en')} remains (${rule}); deadlines kept`);
  }
  return { tickets: [next], notices };
}

function faultCleared(deviceId: string, fault: FaultIdentity, clearedAt: number, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  const out: Ticket[] = [];
  const label = ticketFaultLabel({ code: fault.code, subunit: fault.subunit ?? null }, 'en');
  for (const t of tickets) {
    if (!isOpen(t)) continue;
    if (!t.faults.some((f) => f.active && isFault(f, deviceId, fault))) continue;
    const faults = t.faults.map((f) => (f.active && isFault(f, deviceId, fault) ? { ...f, active: false, clearedAt } : f));
    const allQuiet = faults.every((f) => !f.active);
    const remaining = faults.filter((f) => f.active).length;
    const next = log(
      { ...t, faults, quietSince: allQuiet ? ctx.now : t.quietSince },
      ctx.now,
      SYSTEM,
      'fault cleared',
      `${label} cleared on ${deviceId}${allQuiet ? '; resolves by device after the quiet period' : `; ${remaining} fault${remaining === 1 ? '' : 's'} still active`}`,
    );
    out.push(...followFaults(next, ctx, []).tickets);
  }
  return { tickets: out, notices: [] };
}

function deviceUnreachable(s: DeviceUnreachableSignal, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  // While the site's agent is offline, an unreachable device is part of that outage.
  const site = tickets.find((t) => t.kind === 'site' && t.key === siteKey(s.agentId) && isOpen(t));
  if (site) {
    if (site.affectedDevices.includes(s.device.id)) return { tickets: [], notices: [] };
    return { tickets: [log({ ...site, affectedDevices: [...site.affectedDevices, s.device.id] }, ctx.now, SYSTEM, 'device joined', `${s.device.id} unreachable during the site outage`)], notices: [] };
  }
  return faultRaised(
    {
      kind: 'fault.raised',
      at: s.at,
      agentId: s.agentId,
      customer: s.customer,
      site: s.site,
      device: s.device,
      code: 'device.unreachable',
      firstSeen: s.since,
      impact: s.impact,
      impactRule: s.impactRule,
      level: s.level,
      queue: s.queue,
      evidence: s.evidence,
    },
    tickets,
    ctx,
  );
}

function agentOffline(s: AgentOfflineSignal, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  const key = siteKey(s.agentId);
  const mine = tickets.filter((t) => t.key === key && t.status !== 'closed');
  const live = mine.find((t) => isOpen(t));
  const fault = faultOf({ code: 'agent.offline', firstSeen: s.since, impact: s.impact, impactRule: s.impactRule, evidence: s.evidence }, s.agentId, ctx.now);
  const raise = (t: Ticket): Ticket => ({
    ...t,
    quietSince: null,
    affectedDevices: [...new Set([...t.affectedDevices, ...s.deviceIds])],
    faults: t.faults.map((f) => (f.code === 'agent.offline' ? { ...f, active: true, clearedAt: null, lastRaisedAt: ctx.now, occurrences: f.occurrences + (f.active ? 0 : 1) } : f)),
  });
  if (live) {
    const wasActive = live.faults.some((f) => f.code === 'agent.offline' && f.active);
    const next = raise(live);
    return { tickets: [wasActive ? next : log(next, ctx.now, SYSTEM, 'fault back', 'agent offline again')], notices: [] };
  }
  const recent = mine.filter((t) => canReopen(t, ctx)).sort((a, b) => b.resolvedAt! - a.resolvedAt!)[0];
  if (recent) {
    const r = reopen(raise(recent), ctx, 'agent offline again within the reopen window');
    return { tickets: [r.ticket], notices: [r.notice] };
  }
  const { ticket, notice } = openTicket(
    {
      kind: 'site',
      key,
      title: `Monitoring agent ${s.agentId} offline at ${s.site.name} (${s.deviceIds.length} devices)`,
      channel: 'monitoring',
      customer: s.customer,
      site: s.site,
      agentId: s.agentId,
      device: null,
      affectedDevices: s.deviceIds,
      fault,
      impact: s.impact,
      impactRule: s.impactRule,
      firstSeen: s.since,
      level: s.level,
      queue: s.queue,
      by: SYSTEM,
    },
    ctx,
  );
  return { tickets: [ticket], notices: [notice] };
}

function agentOnline(agentId: string, at: number, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  const out: Ticket[] = [];
  for (const t of tickets) {
    if (t.key !== siteKey(agentId) || !isOpen(t)) continue;
    if (!t.faults.some((f) => f.active)) continue;
    const faults = t.faults.map((f) => ({ ...f, active: false, clearedAt: at }));
    out.push(log({ ...t, faults, quietSince: ctx.now }, ctx.now, SYSTEM, 'fault cleared', `agent ${agentId} back online; resolves after the quiet period`));
  }
  return { tickets: out, notices: [] };
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
  const withText: Ticket = { ...ticket, comments: [{ at: ctx.now, by: report.by, text: report.description, public: true }] };
  return { tickets: [withText], notices: [notice] };
}

export type TicketAction =
  | { readonly type: 'acknowledge'; readonly by: string; readonly note?: string }
  | { readonly type: 'start'; readonly by: string }
  | { readonly type: 'waitForCustomer'; readonly by: string; readonly question: string }
  | { readonly type: 'customerReplied'; readonly by: string; readonly text: string }
  | { readonly type: 'contactAttempt'; readonly by: string; readonly channel: string; readonly note: string }
  | { readonly type: 'resolve'; readonly by: string; readonly solution: string; readonly confirmedByCustomer?: boolean }
  | { readonly type: 'close'; readonly by: string }
  | { readonly type: 'reopen'; readonly by: string; readonly reason: string }
  | { readonly type: 'escalate'; readonly by: string; readonly reason: string }
  | { readonly type: 'assign'; readonly by: string; readonly assignee: string | null }
  | { readonly type: 'comment'; readonly by: string; readonly text: string; readonly public: boolean }
  | { readonly type: 'addTime'; readonly by: string; readonly id: string; readonly channel: WorkChannel; readonly minutes: number; readonly note: string }
  | { readonly type: 'changeImpact'; readonly by: string; readonly impact: Impact; readonly level?: string; readonly reason: string }
  | { readonly type: 'changeContract'; readonly by: string; readonly contractId: string }
  | { readonly type: 'requestOnSite'; readonly by: string; readonly reason: string }
  | { readonly type: 'technicianArrived'; readonly by: string };

function requireStatus(t: Ticket, action: string, allowed: readonly TicketStatus[]): void {
  if (!allowed.includes(t.status)) {
    throw new TicketActionError(`ticket ${t.id}: cannot ${action} a ticket that is ${t.status} (allowed from: ${allowed.join(', ')})`);
  }
}

const OPEN: readonly TicketStatus[] = ['new', 'acknowledged', 'inProgress', 'waitingForCustomer'];

/** First response: stops the reaction clock (once). */
function respond(t: Ticket, ctx: PolicyContext, notices: NoticeDraft[]): Ticket {
  if (t.firstResponseAt !== null) return t;
  const terms = ticketTerms(t, ctx.contractFor);
  const r = stopClock(t.sla.reaction, terms.calendar, ctx.now);
  notices.push(...clockNotices(t.id, 'reaction', r.events));
  return { ...t, firstResponseAt: ctx.now, sla: { ...t.sla, reaction: r.clock } };
}

/** Applies an operator action; throws TicketActionError when the lifecycle does not allow it. */
export function applyAction(t: Ticket, action: TicketAction, ctx: PolicyContext): PolicyOutcome {
  const notices: NoticeDraft[] = [];
  const now = ctx.now;
  const by = action.by;
  const terms = () => ticketTerms(t, ctx.contractFor);
  let next: Ticket;
  switch (action.type) {
    case 'acknowledge':
      requireStatus(t, 'acknowledge', ['new']);
      next = log({ ...respond(t, ctx, notices), status: 'acknowledged' }, now, by, 'acknowledged', action.note ?? 'report confirmed');
      break;
    case 'start':
      requireStatus(t, 'start work on', ['new', 'acknowledged']);
      next = log({ ...respond(t, ctx, notices), status: 'inProgress' }, now, by, 'in progress', 'work started');
      break;
    case 'waitForCustomer': {
      requireStatus(t, 'wait for the customer on', ['new', 'acknowledged', 'inProgress']);
      const r = respond(t, ctx, notices);
      const cal = terms().calendar;
      next = log(
        {
          ...r,
          status: 'waitingForCustomer',
          waiting: { since: now, attempts: [] },
          waitedForCustomer: true,
          sla: { ...r.sla, resolution: r.sla.resolution ? pauseClock(r.sla.resolution, cal, now) : null },
          comments: [...r.comments, { at: now, by, text: action.question, public: true }],
        },
        now,
        by,
        'waiting for customer',
        action.question,
      );
      break;
    }
    case 'customerReplied': {
      requireStatus(t, 'record a customer reply on', ['waitingForCustomer']);
      const cal = terms().calendar;
      next = log(
        {
          ...t,
          status: 'inProgress',
          waiting: null,
          sla: { ...t.sla, resolution: t.sla.resolution ? resumeClock(t.sla.resolution, cal, now) : null },
          comments: [...t.comments, { at: now, by, text: action.text, public: true }],
        },
        now,
        by,
        'customer replied',
        'clock resumed',
      );
      break;
    }
    case 'contactAttempt': {
      requireStatus(t, 'record a contact attempt on', ['waitingForCustomer']);
      const waiting = t.waiting ?? { since: now, attempts: [] };
      next = log({ ...t, waiting: { ...waiting, attempts: [...waiting.attempts, now] } }, now, by, 'contact attempt', `${action.channel}: ${action.note}`);
      notices.push({ kind: 'customer.contactAttempt', ticketId: t.id, at: now, detail: `attempt ${waiting.attempts.length + 1} by ${by} (${action.channel})`, attempt: waiting.attempts.length + 1 });
      break;
    }
    case 'resolve': {
      requireStatus(t, 'resolve', OPEN);
      const r = resolve(t, ctx, by, action.confirmedByCustomer ? 'customerConfirmed' : 'byTechnician', action.solution);
      notices.push(...r.notices);
      next = { ...r.ticket, comments: [...r.ticket.comments, { at: now, by, text: action.solution, public: true }] };
      break;
    }
    case 'close':
      requireStatus(t, 'close', ['resolved']);
      next = log({ ...t, status: 'closed', closedAt: now }, now, by, 'closed', 'closed');
      notices.push({ kind: 'ticket.closed', ticketId: t.id, at: now, detail: `closed by ${by}` });
      break;
    case 'reopen': {
      requireStatus(t, 'reopen', ['resolved']);
      const r = reopen(t, ctx, action.reason, by);
      notices.push(r.notice);
      next = r.ticket;
      break;
    }
    case 'escalate': {
      requireStatus(t, 'escalate', OPEN);
      const tiers = Tier.options;
      const i = tiers.indexOf(t.tier);
      if (i === tiers.length - 1) throw new TicketActionError(`ticket ${t.id} is already at ${t.tier}, the highest support tier`);
      const tier = tiers[i + 1]!;
      next = log({ ...t, tier, escalations: t.escalations + 1, assignee: null }, now, by, 'escalated', `${t.tier} → ${tier}: ${action.reason}`);
      notices.push({ kind: 'ticket.escalated', ticketId: t.id, at: now, detail: `${t.tier} → ${tier}` });
      break;
    }
    case 'assign':
      requireStatus(t, 'assign', OPEN);
      next = log({ ...t, assignee: action.assignee }, now, by, 'assigned', action.assignee === null ? 'unassigned' : `assigned to ${action.assignee}`);
      break;
    case 'comment':
      requireStatus(t, 'comment on', [...OPEN, 'resolved']);
      next = log({ ...t, comments: [...t.comments, { at: now, by, text: action.text, public: action.public }] }, now, by, 'comment', action.public ? 'public comment' : 'internal note');
      break;
    case 'addTime': {
      requireStatus(t, 'add time to', [...OPEN, 'resolved']);
      if (!Number.isInteger(action.minutes) || action.minutes <= 0 || action.minutes > 24 * 60) {
        throw new TicketActionError(`ticket ${t.id}: time entry minutes must be a whole number 1-1440, got ${action.minutes}`);
      }
      if (t.timeEntries.some((e) => e.id === action.id)) throw new TicketActionError(`ticket ${t.id}: time entry ${action.id} already recorded`);
      next = log(
        { ...t, timeEntries: [...t.timeEntries, { id: action.id, at: now, by, channel: action.channel, minutes: action.minutes, note: action.note }] },
        now,
        by,
        'time entry',
        `${action.minutes} min ${action.channel}: ${action.note}`,
      );
      break;
    }
    case 'changeImpact': {
      requireStatus(t, 'change the impact of', OPEN);
      const contract = ticketContract(t, ctx.contractFor);
      if (action.level !== undefined && !contract.spec.levels.some((l) => l.id === action.level)) {
        throw new TicketActionError(`contract ${contract.spec.id} has no level ${JSON.stringify(action.level)}`);
      }
      const moved = retarget(t, contract, action.impact, action.level, ctx);
      next = log({ ...moved, impactRule: `manual: ${by}` }, now, by, 'impact changed', `impact ${t.impact}/${t.sla.level} → ${moved.impact}/${moved.sla.level}: ${action.reason}; elapsed working time kept`);
      break;
    }
    case 'changeContract': {
      requireStatus(t, 'change the contract of', OPEN);
      const contract = ctx.contractFor(action.contractId);
      const moved = retarget(t, contract, t.impact, undefined, ctx);
      next = log({ ...moved, customer: { ...t.customer, contractId: contract.spec.id } }, now, by, 'contract changed', `${t.sla.contractId} → ${contract.spec.id}; elapsed working time kept`);
      break;
    }
    case 'requestOnSite': {
      requireStatus(t, 'request an on-site visit for', OPEN);
      if (t.sla.onSite && t.sla.onSite.state !== 'stopped') throw new TicketActionError(`ticket ${t.id}: an on-site visit is already requested`);
      const contract = ticketContract(t, ctx.contractFor);
      const { calendar: cal, targetMs: target } = onSiteTerms(contract, terms());
      const clock = startClock(cal, now, target, contract.spec.warnAtShare);
      next = log(
        { ...t, sla: { ...t.sla, onSite: clock } },
        now,
        by,
        'on-site requested',
        `${action.reason}; ${target === null ? 'no arrival target in the contract' : `arrival due ${new Date(clock.deadlineAt!).toISOString()}`}`,
      );
      break;
    }
    case 'technicianArrived': {
      if (!t.sla.onSite || t.sla.onSite.state === 'stopped') throw new TicketActionError(`ticket ${t.id}: no on-site visit is pending`);
      const contract = ticketContract(t, ctx.contractFor);
      const r = stopClock(t.sla.onSite, onSiteCalendar(contract, terms()), now);
      notices.push(...clockNotices(t.id, 'onSite', r.events));
      next = log({ ...t, sla: { ...t.sla, onSite: r.clock } }, now, by, 'technician arrived', r.clock.breached ? 'arrival target missed' : 'within the arrival target');
      break;
    }
  }
  return { tickets: [next], notices };
}

/** Time-driven rules at `now`: SLA warnings/breaches, flap-damped resolution, closing, the §2 closure. Null = nothing changed. */
export function tickTicket(t: Ticket, ctx: PolicyContext): PolicyOutcome | null {
  if (t.status === 'closed') return null;
  const now = ctx.now;
  const contract = ticketContract(t, ctx.contractFor);
  const terms = ticketTerms(t, ctx.contractFor);
  const notices: NoticeDraft[] = [];
  let next = t;
  let changed = false;

  const evaluate = (c: SlaClockState | null, cal: BusinessCalendar, clock: SlaClockName): SlaClockState | null => {
    if (c === null) return null;
    const r = evaluateClock(c, cal, now);
    if (r.events.length > 0) {
      changed = true;
      notices.push(...clockNotices(t.id, clock, r.events));
      for (const e of r.events) next = log(next, now, SYSTEM, e.kind, `${CLOCK_LABEL[clock]}: ${e.kind === 'sla.warning' ? 'warning share reached' : 'target breached'} at ${new Date(e.at).toISOString()}`);
    }
    return r.clock;
  };
  const reaction = evaluate(t.sla.reaction, terms.calendar, 'reaction')!;
  const resolution = evaluate(t.sla.resolution, terms.calendar, 'resolution');
  const onSite = evaluate(t.sla.onSite, onSiteCalendar(contract, terms), 'onSite');
  if (changed) next = { ...next, sla: { ...next.sla, reaction, resolution, onSite } };

  if (isOpen(next) && next.quietSince !== null && now >= next.quietSince + ctx.config.quietPeriodMs) {
    const r = resolve(next, ctx, SYSTEM, 'byDevice', `all faults cleared for ${Math.round(ctx.config.quietPeriodMs / 60_000)} min: resolved by device`);
    return { tickets: [r.ticket], notices: [...notices, ...r.notices] };
  }
  if (next.status === 'resolved' && next.resolvedAt !== null && now >= next.resolvedAt + ctx.config.reopenWindowMs) {
    const closed = log({ ...next, status: 'closed', closedAt: now }, now, SYSTEM, 'closed', 'reopen window passed');
    return { tickets: [closed], notices: [...notices, { kind: 'ticket.closed', ticketId: t.id, at: now, detail: 'reopen window passed' }] };
  }
  if (next.status === 'waitingForCustomer' && next.waiting) {
    const due = waitingDue(next, contract);
    if (due !== null && now >= due.at) {
      if (due.step === 'attempt') {
        const n = next.waiting.attempts.length + 1;
        next = log({ ...next, waiting: { ...next.waiting, attempts: [...next.waiting.attempts, now] } }, now, SYSTEM, 'contact attempt', `automatic reminder ${n} of ${contract.spec.waitingForCustomer.attempts}: no answer since ${new Date(next.waiting.since).toISOString()}`);
        notices.push({ kind: 'customer.contactAttempt', ticketId: t.id, at: now, detail: `attempt ${n} of ${contract.spec.waitingForCustomer.attempts}`, attempt: n });
        return { tickets: [next], notices };
      }
      const r = resolve(next, ctx, SYSTEM, 'noCustomerAnswer', `no answer after ${contract.spec.waitingForCustomer.silence} and ${next.waiting.attempts.length} contact attempts: closed as solved (§2)`);
      const closed = log({ ...r.ticket, status: 'closed', closedAt: now }, now, SYSTEM, 'closed', 'closed as solved: the customer did not answer');
      return { tickets: [closed], notices: [...notices, ...r.notices, { kind: 'ticket.closed', ticketId: t.id, at: now, detail: 'closed as solved: no customer answer' }] };
    }
  }
  return changed ? { tickets: [next], notices } : null;
}

/** The next step of the waiting-for-customer rule and when it is due. */
function waitingDue(t: Ticket, contract: Contract): { step: 'attempt' | 'close'; at: number } | null {
  if (t.status !== 'waitingForCustomer' || !t.waiting) return null;
  const rule = contract.spec.waitingForCustomer;
  const silenceEnd = t.waiting.since + wallDurationMs(rule.silence);
  const attempts = t.waiting.attempts.filter((a) => a >= t.waiting!.since);
  const last = attempts[attempts.length - 1];
  // Attempts start once the silence has lasted; each next step waits the interval after the last attempt.
  const at = last === undefined ? silenceEnd : Math.max(silenceEnd, last + wallDurationMs(rule.attemptInterval));
  return { step: attempts.length < rule.attempts ? 'attempt' : 'close', at };
}

/** The earliest instant at which `tickTicket` has something to do; null when nothing is scheduled. */
export function nextDue(t: Ticket, ctx: Pick<PolicyContext, 'config' | 'contractFor'>): number | null {
  if (t.status === 'closed') return null;
  const candidates: Array<number | null> = [nextClockDue(t.sla.reaction), t.sla.resolution ? nextClockDue(t.sla.resolution) : null, t.sla.onSite ? nextClockDue(t.sla.onSite) : null];
  if (isOpen(t) && t.quietSince !== null) candidates.push(t.quietSince + ctx.config.quietPeriodMs);
  if (t.status === 'resolved' && t.resolvedAt !== null) candidates.push(t.resolvedAt + ctx.config.reopenWindowMs);
  const w = waitingDue(t, ticketContract(t, ctx.contractFor));
  if (w) candidates.push(w.at);
  const due = candidates.filter((c): c is number => c !== null);
  return due.length === 0 ? null : Math.min(...due);
}
