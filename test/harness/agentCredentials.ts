/**
 * Agent credentials for a server a test starts as a child process: issued into the store its
 * config names before it starts (the embedded store is opened by one process at a time), as
 * `fleetdesk agent-token create --config` does.
 */
import { withTokenStore } from '../../server/auth/tokenStore.js';
import type { AgentIdentity } from '../../server/broker/acl.js';
import { createAgentToken } from '../../server/broker/credentials.js';
import { loadServerConfig } from '../../server/serverConfig.js';

export function issueAgentToken(configFile: string, who: AgentIdentity): Promise<string> {
  return withTokenStore(loadServerConfig(configFile, {}), (repo) => createAgentToken(repo, who, new Date()));
}
