/**
 * The time-driven ticket rules (ticketPolicy.ts core) as a list of timers `{dueAt, fire}`: SLA
 * warnings and breaches per clock, the flap-damped resolution by device, closing after the reopen
 * window, the §2 contact attempts and closure. `tickTicket` fires what is due and `nextDue` is the
 * earliest `dueAt`: both read the same list, so the scheduler can never wake for nothing nor miss
 * a rule that `tickTicket` would apply.
 */
import { wallDurationMs, type Contract } from '../sla/contract.js';
import { evaluateClock, nextClockDue } from '../sla/slaClock.js';
import { isOpen, type Ticket } from './ticket.js';
import {
  CLOCK_LABEL,
  clockNotices,
  log,
  onSiteCalendar,
  resolve,
  SYSTEM,
  ticketContract,
  ticketTerms,
  type NoticeDraft,
  type PolicyContext,
  type PolicyOutcome,
  type SlaClockName,
} from './ticketPolicy.js';

export interface TicketTimer {
  /** What the timer does, for logs and tests. */
  readonly rule: 'sla' | 'escalationWarning' | 'escalationBreach' | 'resolveByDevice' | 'closeAfterReopenWindow' | 'contactAttempt' | 'closeWithoutAnswer';
  readonly dueAt: number;
  /** The ticket after the rule ran at `ctx.now`, and its notices. */
  fire(ctx: PolicyContext): { ticket: Ticket; notices: NoticeDraft[] };
}

/** The timers of a ticket, due or not; none for a closed ticket. */
export function ticketTimers(t: Ticket, ctx: Pick<PolicyContext, 'config' | 'contractFor'>): TicketTimer[] {
  if (t.status === 'closed') return [];
  const timers: TicketTimer[] = [];
  for (const clock of ['reaction', 'resolution', 'onSite'] as const) {
    const state = t.sla[clock];
    const dueAt = state ? nextClockDue(state) : null;
    if (dueAt !== null) timers.push({ rule: 'sla', dueAt, fire: (c) => evaluateSla(t, clock, c) });
  }
  if (isOpen(t)) timers.push(...escalationTimers(t, ticketContract(t, ctx.contractFor)));
  if (isOpen(t) && t.quietSince !== null) {
    const quiet = ctx.config.quietPeriodMs;
    timers.push({
      rule: 'resolveByDevice',
      dueAt: t.quietSince + quiet,
      fire: (c) => {
        const r = resolve(t, c, SYSTEM, 'byDevice', `all faults cleared for ${Math.round(quiet / 60_000)} min: resolved by device`);
        return { ticket: r.ticket, notices: r.notices };
      },
    });
  }
  if (t.status === 'resolved' && t.resolvedAt !== null) {
    timers.push({
      rule: 'closeAfterReopenWindow',
      dueAt: t.resolvedAt + ctx.config.reopenWindowMs,
      fire: (c) => ({
        ticket: log({ ...t, status: 'closed', closedAt: c.now }, c.now, SYSTEM, 'closed', 'reopen window passed'),
        notices: [{ kind: 'ticket.closed', ticketId: t.id, at: c.now, detail: 'reopen window passed' }],
      }),
    });
  }
  const waiting = waitingTimer(t, ticketContract(t, ctx.contractFor));
  if (waiting) timers.push(waiting);
  return timers;
}

function evaluateSla(t: Ticket, clock: SlaClockName, ctx: PolicyContext): { ticket: Ticket; notices: NoticeDraft[] } {
  const contract = ticketContract(t, ctx.contractFor);
  const terms = ticketTerms(t, ctx.contractFor);
  const calendar = clock === 'onSite' ? onSiteCalendar(contract, terms) : terms.calendar;
  const r = evaluateClock(t.sla[clock]!, calendar, ctx.now);
  let next: Ticket = { ...t, sla: { ...t.sla, [clock]: r.clock } };
  for (const e of r.events)
    next = log(
      next,
      ctx.now,
      SYSTEM,
      e.kind,
      `${CLOCK_LABEL[clock]}: ${e.kind === 'sla.warning' ? 'warning share reached' : 'target breached'} at ${new Date(e.at).toISOString()}`,
    );
  return { ticket: next, notices: clockNotices(t.id, clock, r.events) };
}

/**
 * Escalation notices (contract `escalation`): per running clock with a deadline, a warning
 * `warnBefore` ahead of it (wall clock: the time people read on the wall) and a breach notice at
 * it, each once per clock. A paused clock has no deadline and waits; a stopped one is done. A
 * warning whose instant passed before the clock started (warnBefore longer than the target) is
 * sent at the start.
 */
function escalationTimers(t: Ticket, contract: Contract): TicketTimer[] {
  const rule = contract.spec.escalation;
  if (!rule) return [];
  const sent = t.escalationNotices ?? [];
  const out: TicketTimer[] = [];
  for (const clock of ['reaction', 'resolution', 'onSite'] as const) {
    const state = t.sla[clock];
    if (!state || state.state !== 'running' || state.targetMs === null || state.deadlineAt === null) continue;
    const deadlineAt = state.deadlineAt;
    for (const kind of ['warning', 'breach'] as const) {
      if (sent.some((e) => e.clock === clock && e.kind === kind)) continue;
      // A breach notice sent makes a warning pointless.
      if (kind === 'warning' && (state.breached || sent.some((e) => e.clock === clock && e.kind === 'breach'))) continue;
      const dueAt = kind === 'warning' ? Math.max(state.startedAt, deadlineAt - wallDurationMs(rule.warnBefore)) : deadlineAt;
      out.push({
        rule: kind === 'warning' ? 'escalationWarning' : 'escalationBreach',
        dueAt,
        fire: (c) => {
          const who = [
            ...(rule.notify.includes('dispatch') ? ['dispatch'] : []),
            ...(rule.notify.includes('manager') && rule.manager ? [`manager ${rule.manager}`] : []),
          ].join(', ');
          const due = new Date(deadlineAt).toISOString();
          const detail =
            kind === 'warning'
              ? `${CLOCK_LABEL[clock]} due ${due} (${rule.warnBefore} before): notified ${who}`
              : `${CLOCK_LABEL[clock]} deadline ${due} passed: notified ${who}`;
          const ticket = log({ ...t, escalationNotices: [...sent, { clock, kind, at: c.now, deadlineAt }] }, c.now, SYSTEM, `escalation ${kind}`, detail);
          return {
            ticket,
            notices: [
              {
                kind: kind === 'warning' ? 'escalation.warning' : 'escalation.breach',
                ticketId: t.id,
                at: c.now,
                detail,
                clock,
                notifyDispatch: rule.notify.includes('dispatch'),
                ...(rule.notify.includes('manager') && rule.manager ? { managerEmail: rule.manager } : {}),
              },
            ],
          };
        },
      });
    }
  }
  return out;
}

/** §2: the next contact attempt, or the closure once the attempts are used up. */
function waitingTimer(t: Ticket, contract: Contract): TicketTimer | null {
  if (t.status !== 'waitingForCustomer' || !t.waiting) return null;
  const waiting = t.waiting;
  const rule = contract.spec.waitingForCustomer;
  const silenceEnd = waiting.since + wallDurationMs(rule.silence);
  // §2: the attempts are the ones made once the customer has been silent for the whole period; reminders sent
  // during it (day 3, day 10) are ordinary follow-ups and do not bring the closure closer.
  const attempts = waiting.attempts.filter((a) => a >= silenceEnd);
  const last = attempts[attempts.length - 1];
  // Attempts start once the silence has lasted; each next step waits the interval after the last attempt.
  const dueAt = last === undefined ? silenceEnd : Math.max(silenceEnd, last + wallDurationMs(rule.attemptInterval));
  if (attempts.length < rule.attempts) {
    return {
      rule: 'contactAttempt',
      dueAt,
      fire: (c) => {
        const n = attempts.length + 1;
        const ticket = log(
          { ...t, waiting: { ...waiting, attempts: [...waiting.attempts, c.now] } },
          c.now,
          SYSTEM,
          'contact attempt',
          `automatic reminder ${n} of ${rule.attempts}: no answer since ${new Date(waiting.since).toISOString()}`,
        );
        return { ticket, notices: [{ kind: 'customer.contactAttempt', ticketId: t.id, at: c.now, detail: `attempt ${n} of ${rule.attempts}`, attempt: n }] };
      },
    };
  }
  return {
    rule: 'closeWithoutAnswer',
    dueAt,
    fire: (c) => {
      const r = resolve(t, c, SYSTEM, 'noCustomerAnswer', `no answer after ${rule.silence} and ${attempts.length} contact attempts: closed as solved (§2)`);
      const ticket = log({ ...r.ticket, status: 'closed', closedAt: c.now }, c.now, SYSTEM, 'closed', 'closed as solved: the customer did not answer');
      return { ticket, notices: [...r.notices, { kind: 'ticket.closed', ticketId: t.id, at: c.now, detail: 'closed as solved: no customer answer' }] };
    },
  };
}

/** Each firing moves its rule on (a clock to its next threshold, a status out of reach); more than this is a bug. */
const MAX_FIRINGS = 16;

/** Fires every timer due at `ctx.now`, earliest first, until none is due. Null = nothing was due. */
export function tickTicket(t: Ticket, ctx: PolicyContext): PolicyOutcome | null {
  let ticket = t;
  const notices: NoticeDraft[] = [];
  for (let fired = 0; ; fired++) {
    const due = ticketTimers(ticket, ctx)
      .filter((x) => x.dueAt <= ctx.now)
      .sort((a, b) => a.dueAt - b.dueAt)[0];
    if (!due) break;
    if (fired === MAX_FIRINGS)
      throw new Error(`ticket ${t.id}: timer rule ${due.rule} is still due after ${MAX_FIRINGS} firings at ${new Date(ctx.now).toISOString()}`);
    const r = due.fire(ctx);
    ticket = r.ticket;
    notices.push(...r.notices);
  }
  return ticket === t ? null : { tickets: [ticket], notices };
}

/** The earliest instant at which `tickTicket` has something to do; null when nothing is scheduled. */
export function nextDue(t: Ticket, ctx: Pick<PolicyContext, 'config' | 'contractFor'>): number | null {
  const timers = ticketTimers(t, ctx);
  return timers.length === 0 ? null : Math.min(...timers.map((x) => x.dueAt));
}
