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
import type { AgentOfflineSignal, FleetSignal } from './fleetSignals.js';

/** A clean stop whose grace is running. */
export interface PlannedStop {
  /** Agent key, as tickets name agents (tenant:agentId). */
  readonly agentId: string;
  /** When the site ticket opens if the agent is not back. */
  readonly dueAt: number;
  /** The offline signal to apply then. */
  readonly signal: AgentOfflineSignal;
}

export interface AdmittedSignal {
  /** The signal for the ticket rules now; null while a planned stop's grace runs. */
  readonly apply: FleetSignal | null;
  /** The agent's planned stop from now on: a new one, null = none (removed), undefined = unchanged. */
  readonly stop: PlannedStop | null | undefined;
}

/**
 * What an agent signal does, given the agent's pending planned stop and whether the agent has an
 * open site ticket already (then a clean stop simply joins it: the outage is known).
 */
export function admitAgentSignal(signal: FleetSignal, pending: PlannedStop | undefined, siteTicketOpen: boolean, graceMs: number): AdmittedSignal {
  switch (signal.kind) {
    case 'agent.offline':
      if (signal.reason === 'shutdown' && graceMs > 0 && !siteTicketOpen) {
        // A repeated shutdown notice keeps the first one's deadline: the grace is not extended.
        return { apply: null, stop: pending ?? { agentId: signal.agentId, dueAt: signal.at + graceMs, signal } };
      }
      return { apply: signal, stop: pending ? null : undefined };
    case 'agent.online':
      return { apply: signal, stop: pending ? null : undefined };
    default:
      return { apply: signal, stop: undefined };
  }
}

/** The offline signal of a planned stop whose grace ran out at `now`, with why the ticket opens late. */
export function expiredStop(stop: PlannedStop, now: number, graceMs: number): AgentOfflineSignal {
  const minutes = Math.round(graceMs / 60_000);
  const stopped = new Date(stop.signal.since).toISOString();
  return {
    ...stop.signal,
    at: now,
    evidence: { ...stop.signal.evidence, message: `${stop.signal.evidence.message ?? 'agent offline'}; stopped cleanly at ${stopped} and not back within the ${minutes} min grace` },
  };
}

/** Reads a stored planned stop; a record that is not one is an error naming it. */
export function readPlannedStop(value: unknown, id: string): PlannedStop {
  const v = value as Partial<PlannedStop> | null;
  if (!v || typeof v.agentId !== 'string' || typeof v.dueAt !== 'number' || !v.signal || v.signal.kind !== 'agent.offline') {
    throw new Error(`stored planned stop ${JSON.stringify(id)} is invalid: expected {agentId, dueAt, signal: agent.offline}`);
  }
  return v as PlannedStop;
}
