/**
 * A new agent.yaml made from the commented template (docs/agent.example.yaml): the answers of
 * `fleetdesk agent init` replace the template's example values, and its comments stay, so the
 * admin still finds every key explained in the file they edit later.
 */
import { isMap, isScalar, parseDocument, type Document, type Scalar } from 'yaml';

export interface AgentInitAnswers {
  readonly tenant: string;
  readonly agentId: string;
  readonly brokerUrl: string;
  /** Defaults to "<tenant>/<agentId>", the form the server's broker expects. */
  readonly username?: string;
  /** CA bundle for mqtts://; the template's example path is dropped when unset. */
  readonly ca?: string;
  /** 4 (MQTT 3.1.1) or 5, as found by the broker check; unset = the agent negotiates. */
  readonly protocolVersion?: 4 | 5;
  /** SNMP communities to try, in order; unset = the template's. */
  readonly communities?: readonly string[];
  readonly devices: readonly string[];
  readonly ranges: readonly string[];
  readonly outboxDir?: string;
  /** false = traps off (no UDP 162 socket, no capability needed). */
  readonly traps: boolean;
  readonly healthListen?: string;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(`agent config template: ${message}`);
    this.name = 'TemplateError';
  }
}

function setFlowSeq(doc: Document, path: string[], items: readonly unknown[]): void {
  const node = doc.createNode(items);
  node.flow = items.length === 0 || items.every((i) => typeof i === 'string');
  doc.setIn(path, node);
}

/** Removes a key but keeps the comment lines above it (e.g. the template's password hint). */
function deleteKeepingComment(doc: Document, section: string, key: string): void {
  const map = doc.get(section, true);
  if (!isMap(map)) return;
  const index = map.items.findIndex((pair) => isScalar(pair.key) && pair.key.value === key);
  if (index < 0) return;
  const comment = (map.items[index]!.key as Scalar).commentBefore;
  const next = map.items[index + 1]?.key;
  if (comment && isScalar(next)) next.commentBefore = next.commentBefore ? `${comment}\n${next.commentBefore}` : comment;
  map.items.splice(index, 1);
}

/** Pure: template text + answers -> YAML text of a config the loader accepts. */
export function renderAgentConfig(template: string, answers: AgentInitAnswers): string {
  const doc = parseDocument(template);
  if (doc.errors.length > 0 || !isMap(doc.contents)) throw new TemplateError(`not a YAML mapping (${doc.errors[0]?.message ?? 'wrong shape'})`);
  doc.set('tenant', answers.tenant);
  doc.set('agentId', answers.agentId);
  doc.setIn(['broker', 'url'], answers.brokerUrl);
  doc.setIn(['broker', 'username'], answers.username ?? `${answers.tenant}/${answers.agentId}`);
  if (answers.ca !== undefined) doc.setIn(['broker', 'ca'], answers.ca);
  else deleteKeepingComment(doc, 'broker', 'ca');
  if (answers.protocolVersion !== undefined) doc.setIn(['broker', 'protocolVersion'], answers.protocolVersion);
  if (answers.communities !== undefined && answers.communities.length > 0) {
    const credentials = doc.createNode(answers.communities.map((community) => ({ version: '2c', community })));
    for (const item of credentials.items) if (isMap(item)) item.flow = true;
    doc.setIn(['snmp', 'credentials'], credentials);
  }
  const devices = doc.createNode(answers.devices.map((address) => ({ address })));
  for (const item of devices.items) if (isMap(item)) item.flow = true;
  devices.flow = answers.devices.length === 0;
  doc.set('devices', devices);
  setFlowSeq(doc, ['discovery', 'ranges'], answers.ranges);
  if (answers.outboxDir !== undefined) doc.setIn(['outbox', 'dir'], answers.outboxDir);
  doc.setIn(['traps', 'enabled'], answers.traps);
  if (answers.healthListen !== undefined) doc.setIn(['health', 'listen'], answers.healthListen);
  return doc.toString({ lineWidth: 0 });
}
