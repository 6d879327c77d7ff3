/**
 * What a ticket is about, as index keys, so that a fleet event loads only the tickets it may
 * concern instead of every active ticket (with thousands open, reading and checking all of them
 * per fault dominated ticket work, and on PostgreSQL it is a read of the whole hot set).
 *
 * Subjects: `device:<device key>` for the ticket's device and every device of its faults, and
 * `key:<ticket key>` (agent tickets `agent:<tenant>/<agentId>`, order tickets `order:…`), and
 * `ref:<reference>` for the e-mail Message-IDs of reports and replies joined (intake). An event
 * names the subjects it can touch; the ticket service still filters the candidates with its exact
 * rule (`concerns`), so the index only has to be a superset.
 */
import type { FleetEvent } from '../events/fleetEvents.js';
import { agentKey } from './ticketRefs.js';
import { supplySignalKey, type SupplySignal } from './supplyOrderPolicy.js';

/** Index record: ids of the hot tickets under one subject, sorted. */
export interface SubjectIndex {
  readonly tickets: readonly string[];
}

/** Subjects of a ticket record, read defensively (a stored value before it is parsed). */
export function subjectsOfTicket(value: unknown): string[] {
  const t = value as { device?: { id?: unknown } | null; faults?: unknown; key?: unknown; externalRefs?: unknown } | null;
  if (!t) return [];
  const out = new Set<string>();
  if (t.device && typeof t.device.id === 'string') out.add(`device:${t.device.id}`);
  if (Array.isArray(t.faults))
    for (const f of t.faults as Array<{ deviceId?: unknown }>) if (f && typeof f.deviceId === 'string') out.add(`device:${f.deviceId}`);
  if (typeof t.key === 'string') out.add(`key:${t.key}`);
  if (Array.isArray(t.externalRefs)) for (const r of t.externalRefs as unknown[]) if (typeof r === 'string') out.add(refSubject(r));
  return [...out].sort();
}

/** The subject of a report's or reply's reference (an e-mail Message-ID): intake finds its ticket by it. */
export function refSubject(ref: string): string {
  return `ref:${ref}`;
}

export function subjectsOfEvent(e: FleetEvent): string[] {
  switch (e.type) {
    case 'faultRaised':
    case 'faultCleared':
    case 'deviceReachable':
      return [`device:${e.device.deviceKey}`];
    case 'deviceUnreachable':
      return [`device:${e.device.deviceKey}`, `key:agent:${agentKey(e.device.tenant, e.device.agentId)}`];
    case 'agentOffline':
    case 'agentOnline':
      return [`key:agent:${agentKey(e.agent.tenant, e.agent.agentId)}`];
  }
}

export function subjectsOfSupplySignal(s: SupplySignal): string[] {
  return [`key:${supplySignalKey(s)}`];
}

/** The index writes when a ticket's subjects change from `before` to `after` (both sorted sets). */
export function subjectMoves(before: readonly string[], after: readonly string[]): { remove: string[]; add: string[] } {
  return { remove: before.filter((s) => !after.includes(s)), add: after.filter((s) => !before.includes(s)) };
}

export function withTicket(index: SubjectIndex | undefined, id: string): SubjectIndex | null {
  const ids = index?.tickets ?? [];
  return ids.includes(id) ? null : { tickets: [...ids, id].sort() };
}

export function withoutTicket(index: SubjectIndex | undefined, id: string): SubjectIndex | null {
  const ids = index?.tickets ?? [];
  return ids.includes(id) ? { tickets: ids.filter((x) => x !== id) } : null;
}
