/**
 * Operator actions on a ticket (ticketPolicy.ts core): the lifecycle, work, impact and contract
 * changes, on-site visits (request, schedule, arrival, departure). An action the lifecycle does not allow throws TicketActionError.
 */
import { onSiteTerms, Tier, type Impact, type Matter, type WorkChannel } from '../sla/contract.js';
import { pauseClock, resumeClock, startClock, stopClock } from '../sla/slaClock.js';
import type { CustomerRef, DeviceRef, SiteRef, Ticket, TicketStatus, Visit } from './ticket.js';
import {
  clockNotices,
  log,
  onSiteCalendar,
  reopen,
  resolve,
  retarget,
  TicketActionError,
  ticketContract,
  ticketTerms,
  type NoticeDraft,
  type PolicyContext,
  type PolicyOutcome,
} from './ticketPolicy.js';

export type TicketAction =
  | { readonly type: 'acknowledge'; readonly by: string; readonly note?: string }
  | { readonly type: 'start'; readonly by: string }
  | { readonly type: 'waitForCustomer'; readonly by: string; readonly question: string }
  | { readonly type: 'customerReplied'; readonly by: string; readonly text: string }
  | { readonly type: 'customerReply'; readonly by: string; readonly text: string; readonly externalRef?: string }
  | { readonly type: 'confirmSolution'; readonly by: string; readonly note?: string }
  | { readonly type: 'contactAttempt'; readonly by: string; readonly channel: string; readonly note: string }
  | { readonly type: 'resolve'; readonly by: string; readonly solution: string; readonly confirmedByCustomer?: boolean }
  | { readonly type: 'close'; readonly by: string }
  | { readonly type: 'reopen'; readonly by: string; readonly reason: string }
  | { readonly type: 'escalate'; readonly by: string; readonly reason: string }
  | { readonly type: 'assign'; readonly by: string; readonly assignee: string | null }
  | { readonly type: 'comment'; readonly by: string; readonly text: string; readonly public: boolean }
  | { readonly type: 'addTime'; readonly by: string; readonly id: string; readonly channel: WorkChannel; readonly minutes: number; readonly note: string }
  | { readonly type: 'changeImpact'; readonly by: string; readonly impact?: Impact; readonly level?: string; readonly reason: string }
  | { readonly type: 'changeContract'; readonly by: string; readonly contractId: string; readonly reason: string }
  | { readonly type: 'changeQueue'; readonly by: string; readonly queue: string; readonly reason: string }
  | { readonly type: 'changeDevice'; readonly by: string; readonly device: DeviceRef | null; readonly site: SiteRef; readonly reason: string }
  | {
      readonly type: 'changeCustomer';
      readonly by: string;
      readonly customer: CustomerRef;
      readonly site: SiteRef;
      readonly device: DeviceRef | null;
      readonly reason: string;
    }
  | { readonly type: 'classifyMatter'; readonly by: string; readonly matter: Matter; readonly reason: string }
  | { readonly type: 'requestVisit'; readonly by: string; readonly reason: string }
  | { readonly type: 'scheduleVisit'; readonly by: string; readonly visitId: string; readonly technician?: string | null; readonly plannedAt?: number | null }
  | { readonly type: 'visitArrival'; readonly by: string; readonly visitId: string }
  | { readonly type: 'visitDeparture'; readonly by: string; readonly visitId: string; readonly workDone: string };

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

function visitOf(t: Ticket, visitId: string): Visit {
  const v = (t.visits ?? []).find((x) => x.id === visitId);
  if (!v)
    throw new TicketActionError(
      `ticket ${t.id} has no on-site visit ${JSON.stringify(visitId)} (visits: ${(t.visits ?? []).map((x) => x.id).join(', ') || 'none'})`,
    );
  return v;
}

function withVisit(t: Ticket, v: Visit): Ticket {
  return { ...t, visits: (t.visits ?? []).map((x) => (x.id === v.id ? v : x)) };
}

/** How a re-targeting moved the deadlines, for the history line. */
function recalculated(before: Ticket, after: Ticket): string {
  const fmt = (at: number | null | undefined) => (at === null || at === undefined ? 'none' : new Date(at).toISOString());
  const parts = (['reaction', 'resolution', 'onSite'] as const)
    .filter((c) => before.sla[c] !== null || after.sla[c] !== null)
    .filter((c) => before.sla[c]?.state !== 'stopped')
    .map((c) => `${c} due ${fmt(before.sla[c]?.deadlineAt)} → ${fmt(after.sla[c]?.deadlineAt)}${after.sla[c]?.breached ? ' (breach stays recorded)' : ''}`);
  return parts.length === 0 ? 'no running SLA clock' : `elapsed working time kept: ${parts.join(', ')}`;
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
      // A note written by staff stays internal; the plain confirmation is the customer's to see.
      next = log(
        { ...respond(t, ctx, notices), status: 'acknowledged' },
        now,
        by,
        'acknowledged',
        action.note ?? 'report confirmed',
        action.note === undefined ? 'customer' : 'internal',
      );
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
    case 'customerReply': {
      // The customer's own answer (portal, e-mail reply): any time the ticket is not closed. While
      // waiting it is the answer the waiting rule (§2) waits for: the resolution clock resumes.
      requireStatus(t, 'add a customer reply to', [...OPEN, 'resolved']);
      const ref = action.externalRef;
      if (ref !== undefined && t.externalRefs?.includes(ref)) return { tickets: [], notices: [] };
      const withText: Ticket = {
        ...t,
        comments: [...t.comments, { at: now, by, text: action.text, public: true }],
        ...(ref !== undefined ? { externalRefs: [...(t.externalRefs ?? []), ref] } : {}),
      };
      if (t.status === 'waitingForCustomer') {
        const cal = terms().calendar;
        next = log(
          {
            ...withText,
            status: 'inProgress',
            waiting: null,
            sla: { ...t.sla, resolution: t.sla.resolution ? resumeClock(t.sla.resolution, cal, now) : null },
          },
          now,
          by,
          'customer replied',
          'answer received; clock resumed',
        );
      } else {
        next = log(withText, now, by, 'customer replied', t.status === 'resolved' ? 'reply after the resolution' : 'reply');
      }
      break;
    }
    case 'confirmSolution':
      // The customer confirms the solution: the ticket closes at once instead of after the reopen window.
      requireStatus(t, 'confirm the solution of', ['resolved']);
      next = log(
        { ...t, status: 'closed', closedAt: now, resolution: 'customerConfirmed' },
        now,
        by,
        'closed',
        `solution confirmed by the customer${action.note ? `: ${action.note}` : ''}`,
      );
      notices.push({ kind: 'ticket.closed', ticketId: t.id, at: now, detail: `solution confirmed by ${by}` });
      break;
    case 'contactAttempt': {
      requireStatus(t, 'record a contact attempt on', ['waitingForCustomer']);
      const waiting = t.waiting ?? { since: now, attempts: [] };
      next = log({ ...t, waiting: { ...waiting, attempts: [...waiting.attempts, now] } }, now, by, 'contact attempt', `${action.channel}: ${action.note}`);
      notices.push({
        kind: 'customer.contactAttempt',
        ticketId: t.id,
        at: now,
        detail: `attempt ${waiting.attempts.length + 1} by ${by} (${action.channel})`,
        attempt: waiting.attempts.length + 1,
      });
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
      next = log(
        { ...t, comments: [...t.comments, { at: now, by, text: action.text, public: action.public }] },
        now,
        by,
        'comment',
        action.public ? 'public comment' : 'internal note',
        action.public ? 'customer' : 'internal',
      );
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
      if (action.impact === undefined && action.level === undefined) throw new TicketActionError(`ticket ${t.id}: name the new impact or level`);
      if (action.level !== undefined && !contract.spec.levels.some((l) => l.id === action.level)) {
        throw new TicketActionError(
          `contract ${contract.spec.id} has no level ${JSON.stringify(action.level)} (levels: ${contract.spec.levels.map((l) => l.id).join(', ')})`,
        );
      }
      // A level alone keeps the impact the desk sees; an impact alone takes the contract's level for it.
      const moved = retarget(t, contract, action.impact ?? t.impact, action.level, ctx);
      next = log(
        { ...moved, impactRule: `manual: ${by}` },
        now,
        by,
        'impact changed',
        `impact ${t.impact}/${t.sla.level} → ${moved.impact}/${moved.sla.level}: ${action.reason}; ${recalculated(t, moved)}`,
      );
      break;
    }
    case 'changeContract': {
      requireStatus(t, 'change the contract of', OPEN);
      const contract = ctx.contractFor(action.contractId);
      const moved = retarget(t, contract, t.impact, undefined, ctx);
      next = log(
        { ...moved, customer: { ...t.customer, contractId: contract.spec.id } },
        now,
        by,
        'contract changed',
        `${t.sla.contractId} → ${contract.spec.id}: ${action.reason}; ${recalculated(t, moved)}`,
      );
      break;
    }
    case 'changeQueue':
      requireStatus(t, 'change the queue of', OPEN);
      if (action.queue === t.queue) throw new TicketActionError(`ticket ${t.id} is already in queue ${t.queue}`);
      next = log({ ...t, queue: action.queue }, now, by, 'queue changed', `${t.queue} → ${action.queue}: ${action.reason}`);
      break;
    case 'changeDevice': {
      requireStatus(t, 'change the device of', OPEN);
      // A monitoring ticket is about the device whose faults it holds: those cannot move to another device.
      if (t.faults.length > 0 || t.kind === 'site' || t.supplyOrder !== undefined)
        throw new TicketActionError(`ticket ${t.id}: the device of a ticket opened by monitoring is the one that reported its faults`);
      const before = t.device?.id ?? '(none)';
      next = log(
        { ...t, device: action.device, site: action.site, affectedDevices: action.device ? [action.device.id] : [] },
        now,
        by,
        'device changed',
        `${before} → ${action.device?.id ?? '(none)'} (site ${action.site.name}): ${action.reason}; SLA clocks unchanged`,
      );
      break;
    }
    case 'changeCustomer': {
      requireStatus(t, 'change the customer of', OPEN);
      if (t.faults.length > 0 || t.kind === 'site' || t.supplyOrder !== undefined)
        throw new TicketActionError(`ticket ${t.id}: the customer of a ticket opened by monitoring is the owner of the device that reported it`);
      if (action.customer.id === t.customer.id) throw new TicketActionError(`ticket ${t.id} is already for customer ${t.customer.id}`);
      // The new customer's contract applies from now on, the elapsed working time kept (as a contract change).
      const moved = retarget(t, ctx.contractFor(action.customer.contractId), t.impact, undefined, ctx);
      next = log(
        { ...moved, customer: action.customer, site: action.site, device: action.device, affectedDevices: action.device ? [action.device.id] : [] },
        now,
        by,
        'customer changed',
        `${t.customer.id} → ${action.customer.id} (contract ${t.sla.contractId} → ${moved.sla.contractId}): ${action.reason}; ${recalculated(t, moved)}`,
      );
      break;
    }
    case 'classifyMatter': {
      requireStatus(t, 'classify the matter of', [...OPEN, 'resolved']);
      const was = t.matter ?? 'support';
      if (was === action.matter) throw new TicketActionError(`ticket ${t.id} is already a ${was} matter`);
      next = log({ ...t, matter: action.matter }, now, by, 'matter classified', `${was} → ${action.matter}: ${action.reason}`);
      break;
    }
    case 'requestVisit': {
      requireStatus(t, 'request an on-site visit for', OPEN);
      const visits = t.visits ?? [];
      const pending = visits.find((v) => v.arrivedAt === null);
      if (pending) throw new TicketActionError(`ticket ${t.id}: on-site visit ${pending.id} is already requested and the technician has not arrived yet`);
      const contract = ticketContract(t, ctx.contractFor);
      const { calendar: cal, targetMs: target, counting } = onSiteTerms(contract, terms());
      const clock = startClock(cal, now, target, contract.spec.warnAtShare);
      const visit: Visit = {
        id: `V${visits.length + 1}`,
        requestedAt: now,
        requestedBy: by,
        reason: action.reason,
        technician: null,
        plannedAt: null,
        arrivedAt: null,
        arrivalDueAt: null,
        arrivalMet: null,
        departedAt: null,
        workDone: null,
      };
      next = log(
        { ...t, visits: [...visits, visit], sla: { ...t.sla, onSite: clock } },
        now,
        by,
        'on-site requested',
        `${visit.id}: ${action.reason}; ${target === null ? 'no arrival target in the contract' : `arrival due ${new Date(clock.deadlineAt!).toISOString()} (${contract.spec.onSite!.arrival}, ${counting})`}`,
      );
      break;
    }
    case 'scheduleVisit': {
      requireStatus(t, 'schedule an on-site visit for', OPEN);
      const v = visitOf(t, action.visitId);
      if (v.arrivedAt !== null)
        throw new TicketActionError(`ticket ${t.id}: visit ${v.id} cannot be rescheduled, the technician arrived at ${new Date(v.arrivedAt).toISOString()}`);
      const technician = action.technician === undefined ? v.technician : action.technician;
      const plannedAt = action.plannedAt === undefined ? v.plannedAt : action.plannedAt;
      next = log(
        withVisit(t, { ...v, technician, plannedAt }),
        now,
        by,
        'on-site scheduled',
        `${v.id}: ${technician ?? 'no technician yet'}, ${plannedAt === null ? 'no time planned' : `planned ${new Date(plannedAt).toISOString()}`}`,
      );
      break;
    }
    case 'visitArrival': {
      const v = visitOf(t, action.visitId);
      if (v.arrivedAt !== null) throw new TicketActionError(`ticket ${t.id}: the arrival for visit ${v.id} is already recorded`);
      if (!t.sla.onSite) throw new TicketActionError(`ticket ${t.id}: visit ${v.id} has no arrival clock`);
      const contract = ticketContract(t, ctx.contractFor);
      const r = stopClock(t.sla.onSite, onSiteCalendar(contract, terms()), now);
      notices.push(...clockNotices(t.id, 'onSite', r.events));
      const met = r.clock.targetMs === null ? null : !r.clock.breached;
      next = log(
        withVisit(
          { ...t, sla: { ...t.sla, onSite: r.clock } },
          { ...v, technician: v.technician ?? by, arrivedAt: now, arrivalDueAt: r.clock.deadlineAt, arrivalMet: met },
        ),
        now,
        by,
        'technician arrived',
        `${v.id}: ${met === null ? 'no arrival target' : met ? 'within the arrival target' : 'arrival target missed'}`,
      );
      break;
    }
    case 'visitDeparture': {
      const v = visitOf(t, action.visitId);
      if (v.arrivedAt === null) throw new TicketActionError(`ticket ${t.id}: visit ${v.id} has no arrival recorded; record the arrival first`);
      if (v.departedAt !== null) throw new TicketActionError(`ticket ${t.id}: the departure for visit ${v.id} is already recorded`);
      const minutes = Math.max(1, Math.round((now - v.arrivedAt) / 60_000));
      next = log(
        withVisit(t, { ...v, departedAt: now, workDone: action.workDone }),
        now,
        by,
        'technician departed',
        `${v.id}: ${minutes} min on site: ${action.workDone}`,
      );
      break;
    }
  }
  return { tickets: [next], notices };
}
