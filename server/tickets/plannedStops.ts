/**
 * Planned stops are not outages. An agent that stops cleanly (`systemctl stop`, Ctrl-C) says so:
 * `agent.status` offline with reason `shutdown`. Its site ticket waits `agentOfflineGraceMs`
 * (server.yaml `tickets.agentOfflineGrace`): an agent back within it (an upgrade, a restart, a
 * reboot of its host) opens no ticket; one still away afterwards opens the ticket a crash would
 * have opened at once. A last will (crash, network loss) or staleness opens it at once, as before.
 *
 * Pure: the ticket service keeps the pending stops in its store (one per agent) and fires those
 * that are due from its timer, like the other ticket timers.
 */
import type { AgentOfflineEvent, FleetEvent } from '../events/fleetEvents.js';
import { agentKey, ms } from './ticketRefs.js';

/** A clean stop whose grace is running. */
export interface PlannedStop {
  /** Agent key, as tickets name agents (tenant:agentId). */
  readonly agentId: string;
  /** When the site ticket opens if the agent is not back. */
  readonly dueAt: number;
  /** The offline event to apply then (its instant is the stop; the ticket's clocks start when the grace ends). */
  readonly event: AgentOfflineEvent;
}

export interface AdmittedEvent {
  /** The event for the ticket rules now; null while a planned stop's grace runs. */
  readonly apply: FleetEvent | null;
  /** The agent's planned stop from now on: a new one, null = none (removed), undefined = unchanged. */
  readonly stop: PlannedStop | null | undefined;
}

/**
 * What an agent event does, given the agent's pending planned stop and whether the agent has an
 * open site ticket already (then a clean stop simply joins it: the outage is known).
 */
export function admitAgentEvent(event: FleetEvent, pending: PlannedStop | undefined, siteTicketOpen: boolean, graceMs: number): AdmittedEvent {
  switch (event.type) {
    case 'agentOffline':
      if (event.reason === 'shutdown' && graceMs > 0 && !siteTicketOpen) {
        // A repeated shutdown notice keeps the first one's deadline: the grace is not extended.
        return { apply: null, stop: pending ?? { agentId: agentKey(event.agent.tenant, event.agent.agentId), dueAt: ms(event.at) + graceMs, event } };
      }
      return { apply: event, stop: pending ? null : undefined };
    case 'agentOnline':
      return { apply: event, stop: pending ? null : undefined };
    default:
      return { apply: event, stop: undefined };
  }
}

/** Reads a stored planned stop; a record that is not one is an error naming it. */
export function readPlannedStop(value: unknown, id: string): PlannedStop {
  const v = value as Partial<PlannedStop> | null;
  if (!v || typeof v.agentId !== 'string' || typeof v.dueAt !== 'number' || !v.event || v.event.type !== 'agentOffline') {
    throw new Error(`stored planned stop ${JSON.stringify(id)} is invalid: expected {agentId, dueAt, event: agentOffline}`);
  }
  return v as PlannedStop;
}
