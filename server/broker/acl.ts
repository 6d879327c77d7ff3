/**
 * Who may publish and subscribe where (pure). An agent authenticates as "<tenant>/<agentId>" and
 * may only
 *   publish   fleetdesk/v1/<tenant>/<agentId>/status
 *             fleetdesk/v1/<tenant>/<agentId>/devices/<deviceId>/(state|events|telemetry)
 *   subscribe fleetdesk/v1/<tenant>/<agentId>/commands
 * The same rules as docs/mosquitto/acl (pattern lines with %u = "<tenant>/<agentId>").
 */
import { ID_PATTERN, parseTopic } from '../../shared/wire/topics.js';

export interface AgentIdentity {
  readonly tenant: string;
  readonly agentId: string;
}

export type AclDecision = { allowed: true } | { allowed: false; why: string };

/** "<tenant>/<agentId>" → identity, or undefined when the username is not of that form. */
export function parseAgentUsername(username: string): AgentIdentity | undefined {
  const parts = username.split('/');
  if (parts.length !== 2) return undefined;
  const [tenant, agentId] = parts as [string, string];
  if (!ID_PATTERN.test(tenant) || !ID_PATTERN.test(agentId)) return undefined;
  return { tenant, agentId };
}

export function agentUsername(identity: AgentIdentity): string {
  return `${identity.tenant}/${identity.agentId}`;
}

export function mayPublish(who: AgentIdentity, topic: string): AclDecision {
  const parsed = parseTopic(topic);
  if (!parsed.ok) return { allowed: false, why: `topic outside the agent tree: ${parsed.error}` };
  const t = parsed.topic;
  if (t.tenant !== who.tenant || t.agentId !== who.agentId) {
    return { allowed: false, why: `agent ${who.tenant}/${who.agentId} may not publish under ${t.tenant}/${t.agentId}` };
  }
  if (t.kind === 'commands') return { allowed: false, why: 'agents may not publish commands' };
  return { allowed: true };
}

export function maySubscribe(who: AgentIdentity, filter: string): AclDecision {
  const own = `fleetdesk/v1/${who.tenant}/${who.agentId}/commands`;
  if (filter === own) return { allowed: true };
  return { allowed: false, why: `agent ${who.tenant}/${who.agentId} may subscribe only to ${own}, not ${filter}` };
}
