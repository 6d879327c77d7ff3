/**
 * Fleet signals on tickets (ticketPolicy.ts core): faults raised and cleared on a device (by
 * fault identity), devices unreachable and back, agents offline and online.
 */
import { faultKey, type FaultIdentity } from '../../shared/faultIdentity.js';
import { FAULTS, type FaultCode } from '../../shared/faults.js';
import { IMPACT_RANK } from '../sla/contract.js';
import type { AgentOfflineSignal, DeviceUnreachableSignal, FaultRaisedSignal, FleetSignal } from './fleetSignals.js';
import { isFault, isOpen, ticketFaultLabel, type Ticket } from './ticket.js';
import { faultOf, openTicket } from './ticketOpening.js';
import { canReopen, log, reopen, retarget, SYSTEM, ticketContract, type NoticeDraft, type PolicyContext, type PolicyOutcome } from './ticketPolicy.js';

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
