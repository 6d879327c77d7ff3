/**
 * Fleet events on tickets (ticketPolicy.ts core): faults raised and cleared on a device (by fault
 * identity), devices unreachable and back, agents offline and online. The rules read the fleet
 * event itself (server/events/fleetEvents.ts, the one shape of a fleet change); a ticket records
 * customer, site, device and evidence from it (ticketRefs.ts).
 */
import { faultKey, type FaultIdentity } from '../../shared/faultIdentity.js';
import { FAULTS, type FaultCode } from '../../shared/faults.js';
import type { AgentOfflineEvent, DeviceContext, DeviceUnreachableEvent, FaultRaisedEvent, FleetEvent } from '../events/fleetEvents.js';
import type { ImpactResult } from '../impact/impactRules.js';
import { IMPACT_RANK } from '../sla/contract.js';
import { isFault, isOpen, ticketFaultLabel, type FaultEvidence, type Ticket } from './ticket.js';
import { faultOf, openTicket } from './ticketOpening.js';
import { canReopen, log, reopen, retarget, SYSTEM, ticketContract, type NoticeDraft, type PolicyContext, type PolicyOutcome } from './ticketPolicy.js';
import { agentKey, customerRef, deviceRef, faultEvidence, ms, siteRef } from './ticketRefs.js';

/** The key of a device fault's ticket (`device:<device key>:<fault key>`). */
export function faultTicketKey(deviceId: string, fault: FaultIdentity): string {
  return `device:${deviceId}:${faultKey(fault)}`;
}

/** The key of an agent's site ticket (`agent:<tenant>:<agentId>`). */
export function siteKey(tenant: string, agentId: string): string {
  return `agent:${agentKey(tenant, agentId)}`;
}

/**
 * Applies one fleet event. `tickets` must hold every non-closed ticket of the event's device
 * (for agent events: of the agent); others are ignored.
 */
export function applyFleetEvent(event: FleetEvent, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  switch (event.type) {
    case 'faultRaised':
      return faultRaised(raiseOf(event), tickets, ctx);
    case 'faultCleared':
      return faultCleared(event.device.deviceKey, event.fault, ms(event.clearedAt), tickets, ctx);
    case 'deviceUnreachable':
      return deviceUnreachable(event, tickets, ctx);
    case 'deviceReachable':
      return faultCleared(event.device.deviceKey, { code: 'device.unreachable' }, ms(event.since), tickets, ctx);
    case 'agentOffline':
      return agentOffline(event, tickets, ctx);
    case 'agentOnline':
      return agentOnline(agentKey(event.agent.tenant, event.agent.agentId), ms(event.at), tickets, ctx);
  }
}

/** A fault raised on a device: from a faultRaised event, or an unreachable device's own fault. */
interface Raise {
  readonly device: DeviceContext;
  /** Identity, with the subunit's name for labels. */
  readonly fault: FaultIdentity;
  readonly firstSeen: number;
  readonly impact: ImpactResult;
  readonly evidence: FaultEvidence;
}

function raiseOf(e: FaultRaisedEvent): Raise {
  return { device: e.device, fault: e.fault, firstSeen: ms(e.firstSeen), impact: e.impact, evidence: faultEvidence(e.fault, e.evidence) };
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

function faultRaised(r: Raise, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  const device = deviceRef(r.device);
  const code = r.fault.code;
  const mine = tickets.filter((t) => t.kind === 'device' && t.device?.id === device.id && t.status !== 'closed');
  const label = ticketFaultLabel({ code, subunit: r.fault.subunit ?? null }, 'en');
  const held = () =>
    faultOf({ ...r.fault, firstSeen: r.firstSeen, impact: r.impact.level, impactRule: r.impact.explanation, evidence: r.evidence }, device.id, ctx.now);
  // 1. The same fault already has a live (or recently resolved) ticket.
  const same = mine.filter((t) => t.faults.some((f) => isFault(f, device.id, r.fault)));
  const live = same.find((t) => isOpen(t));
  if (live) return followFaults(repeatFault(live, device.id, r, ctx), ctx, []);
  const recent = same.filter((t) => canReopen(t, ctx)).sort((a, b) => b.resolvedAt! - a.resolvedAt!)[0];
  if (recent) {
    const reopened = reopen(repeatFault(recent, device.id, r, ctx), ctx, `${label} back within the reopen window`);
    return followFaults(reopened.ticket, ctx, [reopened.notice]);
  }
  // 2. A related fault of the device on a ticket opened within the window: join.
  const joinable = mine
    // Proactive supply orders (supplyOrderPolicy.ts) are not faults: nothing joins them.
    .filter(
      (t) =>
        isOpen(t) &&
        t.supplyOrder === undefined &&
        ctx.now - t.openedAt <= ctx.config.relatedWindowMs &&
        t.faults.some((f) => f.deviceId === device.id && related(f.code, code)),
    )
    .sort((a, b) => a.openedAt - b.openedAt)[0];
  if (joinable) {
    const joined = log(
      { ...joinable, faults: [...joinable.faults, held()], quietSince: null },
      ctx.now,
      SYSTEM,
      'fault joined',
      `related fault ${label} (${code}) joined`,
    );
    const notice: NoticeDraft = { kind: 'ticket.joined', ticketId: joinable.id, at: ctx.now, detail: `${label} joined ${joinable.id}` };
    return followFaults(joined, ctx, [notice]);
  }
  // 3. A new ticket.
  const { ticket, notice } = openTicket(
    {
      kind: 'device',
      key: faultTicketKey(device.id, r.fault),
      title: `${label} on ${device.model ?? device.id} at ${r.device.siteName}`,
      channel: 'monitoring',
      customer: customerRef(r.device.customer, ctx.defaultContractId),
      site: siteRef(r.device.siteId, r.device.siteName),
      agentId: agentKey(r.device.tenant, r.device.agentId),
      device,
      affectedDevices: [device.id],
      fault: held(),
      impact: r.impact.level,
      impactRule: r.impact.explanation,
      firstSeen: r.firstSeen,
      level: r.impact.contractPriority,
      queue: r.impact.queue,
      by: SYSTEM,
    },
    ctx,
  );
  return { tickets: [ticket], notices: [notice] };
}

/** The fault was raised again: refresh its evidence and impact; if it had cleared, it is back (flap). */
function repeatFault(t: Ticket, deviceId: string, r: Raise, ctx: PolicyContext): Ticket {
  let back = false;
  const faults = t.faults.map((f) => {
    if (!isFault(f, deviceId, r.fault)) return f;
    back = back || !f.active;
    return {
      ...f,
      active: true,
      clearedAt: null,
      lastRaisedAt: ctx.now,
      occurrences: f.occurrences + 1,
      impact: r.impact.level,
      impactRule: r.impact.explanation,
      evidence: r.evidence,
    };
  });
  const next = { ...t, faults, quietSince: null };
  return back
    ? log(
        next,
        ctx.now,
        SYSTEM,
        'fault back',
        `${ticketFaultLabel({ code: r.fault.code, subunit: r.fault.subunit ?? null }, 'en')} raised again after clearing`,
      )
    : next;
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
    next = log(
      { ...moved, impactRule: rule },
      ctx.now,
      SYSTEM,
      'impact raised',
      `impact ${t.impact} → ${worst.impact} (${ticketFaultLabel(worst, 'en')}: ${rule}); deadlines: the earlier of the one in force and this instant plus the ${worst.impact} target`,
    );
  } else if (IMPACT_RANK[worst.impact] > IMPACT_RANK[t.impact] && !manual) {
    const moved = retarget(next, ticketContract(next, ctx.contractFor), worst.impact, undefined, ctx, 'lower');
    next = log(
      { ...moved, impactRule: rule },
      ctx.now,
      SYSTEM,
      'impact lowered',
      `impact ${t.impact} → ${worst.impact}: the worse fault cleared, ${ticketFaultLabel(worst, 'en')} remains (${rule}); deadlines kept`,
    );
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

function deviceUnreachable(e: DeviceUnreachableEvent, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  const deviceId = e.device.deviceKey;
  // While the site's agent is offline, an unreachable device is part of that outage.
  const site = tickets.find((t) => t.kind === 'site' && t.key === siteKey(e.device.tenant, e.device.agentId) && isOpen(t));
  if (site) {
    if (site.affectedDevices.includes(deviceId)) return { tickets: [], notices: [] };
    return {
      tickets: [
        log(
          { ...site, affectedDevices: [...site.affectedDevices, deviceId] },
          ctx.now,
          SYSTEM,
          'device joined',
          `${deviceId} unreachable during the site outage`,
        ),
      ],
      notices: [],
    };
  }
  const evidence = faultEvidence(undefined, undefined, `${e.consecutiveFailures} failed polls; last error: ${e.lastError}`);
  return faultRaised({ device: e.device, fault: { code: 'device.unreachable' }, firstSeen: ms(e.since), impact: e.impact, evidence }, tickets, ctx);
}

function agentOffline(e: AgentOfflineEvent, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  const agentId = agentKey(e.agent.tenant, e.agent.agentId);
  const key = siteKey(e.agent.tenant, e.agent.agentId);
  const since = ms(e.at);
  const deviceIds = e.devices.map((d) => d.deviceKey);
  // A clean stop reaches the rules only once its grace ran out (plannedStops.ts) or to join a known outage.
  const message =
    e.reason === 'shutdown'
      ? `agent stopped cleanly at ${e.at} and not back within the grace; ${deviceIds.length} devices unmonitored`
      : `agent offline (${e.reason}); ${deviceIds.length} devices unmonitored`;
  const mine = tickets.filter((t) => t.key === key && t.status !== 'closed');
  const live = mine.find((t) => isOpen(t));
  const fault = faultOf(
    { code: 'agent.offline', firstSeen: since, impact: e.impact.level, impactRule: e.impact.explanation, evidence: { message } },
    agentId,
    ctx.now,
  );
  const raise = (t: Ticket): Ticket => ({
    ...t,
    quietSince: null,
    affectedDevices: [...new Set([...t.affectedDevices, ...deviceIds])],
    faults: t.faults.map((f) =>
      f.code === 'agent.offline' ? { ...f, active: true, clearedAt: null, lastRaisedAt: ctx.now, occurrences: f.occurrences + (f.active ? 0 : 1) } : f,
    ),
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
      title: `Monitoring agent ${agentId} offline at ${e.agent.siteName} (${deviceIds.length} devices)`,
      channel: 'monitoring',
      customer: customerRef(e.agent.customer, ctx.defaultContractId),
      site: siteRef(e.agent.siteId, e.agent.siteName),
      agentId,
      device: null,
      affectedDevices: deviceIds,
      fault,
      impact: e.impact.level,
      impactRule: e.impact.explanation,
      firstSeen: since,
      level: e.impact.contractPriority,
      queue: e.impact.queue,
      by: SYSTEM,
    },
    ctx,
  );
  return { tickets: [ticket], notices: [notice] };
}

function agentOnline(agentId: string, at: number, tickets: readonly Ticket[], ctx: PolicyContext): PolicyOutcome {
  const out: Ticket[] = [];
  for (const t of tickets) {
    if (t.key !== `agent:${agentId}` || !isOpen(t)) continue;
    if (!t.faults.some((f) => f.active)) continue;
    const faults = t.faults.map((f) => ({ ...f, active: false, clearedAt: at }));
    out.push(log({ ...t, faults, quietSince: ctx.now }, ctx.now, SYSTEM, 'fault cleared', `agent ${agentId} back online; resolves after the quiet period`));
  }
  return { tickets: out, notices: [] };
}
