/**
 * Two `fleetdesk server` processes on one PostgreSQL database, each with its embedded MQTT broker,
 * no sticky sessions: an API token made on one works on the other at once and its revocation is
 * refused there within the documented bound; a stream token issued by one opens the event stream
 * on the other; agent credentials issued through one let the agent into the broker of the other,
 * and their revocation shuts it out; `fleetdesk api-token` works on the store while both run.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeTcpPort, makeTempDir, startPeer, tcpAnswers, waitUntil, type PeerProcess } from '../harness/peers.js';
import { startPostgres, type PostgresPeer } from '../harness/postgres.js';
import { REPO_ROOT } from '../harness/repo.js';

const ADMIN = 'cluster-tokens-admin-token-0123456789abcdef';

interface Instance {
  readonly id: string;
  readonly configFile: string;
  readonly httpPort: number;
  readonly mqttPort: number;
  readonly process: PeerProcess;
}

let postgres: PostgresPeer;
const temp = makeTempDir('cluster-tokens');
const instances: Instance[] = [];

async function startInstance(id: string, url: string): Promise<Instance> {
  const httpPort = await freeTcpPort();
  const mqttPort = await freeTcpPort();
  const configFile = join(temp.path, `${id}.yaml`);
  writeFileSync(
    configFile,
    [
      '# server.yaml',
      `dataDir: ${join(temp.path, id)}`,
      'storage:',
      '  kind: postgres',
      `  url: ${url}`,
      '  healthCheckInterval: 0',
      'broker:',
      '  embedded:',
      '    host: 127.0.0.1',
      `    port: ${mqttPort}`,
      'http:',
      '  host: 127.0.0.1',
      `  port: ${httpPort}`,
      'cluster:',
      `  instanceId: ${id}`,
      '  group: tokens',
      'log:',
      '  format: json',
      '  level: warn',
      '',
    ].join('\n'),
  );
  const process = await startPeer({
    name: `fleetdesk-server ${id}`,
    program: 'node',
    debPackage: 'nodejs',
    args: [join(REPO_ROOT, 'bin/fleetdesk.mjs'), 'server', '--config', configFile],
    port: httpPort,
    env: { FLEETDESK_ADMIN_TOKEN: ADMIN },
    ready: () => tcpAnswers(httpPort),
    timeoutMs: 60_000,
  });
  const instance = { id, configFile, httpPort, mqttPort, process };
  instances.push(instance);
  return instance;
}

async function call(on: Instance, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${on.httpPort}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** CONNACK of a fresh connection: undefined when accepted, else the error. */
async function connectError(on: Instance, username: string, password: string): Promise<Error | undefined> {
  try {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${on.mqttPort}`, {
      clientId: username,
      username,
      password,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    await client.endAsync();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

let a: Instance;
let b: Instance;

beforeAll(async () => {
  postgres = await startPostgres();
  const url = await postgres.newDatabase('tokens');
  a = await startInstance('a', url);
  b = await startInstance('b', url);
}, 180_000);

afterAll(async () => {
  for (const i of instances) await i.process.stop();
  await postgres?.stop();
  temp.remove();
});

describe('tokens shared by two instances on one PostgreSQL', () => {
  it('an API token made on A works on B at once; revoked on A it is refused on B within the bound', async () => {
    const made = await call(a, 'POST', '/api-tokens', ADMIN, { role: 'dispatcher', name: 'anna' });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const { id, token } = made.body as { id: string; token: string };
    expect(await call(b, 'GET', '/me', token)).toMatchObject({ status: 200, body: { tokenId: id, role: 'dispatcher' } });

    // A stream token issued by A opens the event stream on B (no sticky session).
    const grant = (await call(a, 'POST', '/events/token', token)).body as { token: string };
    const abort = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${b.httpPort}/api/v1/events?token=${grant.token}`, { signal: abort.signal });
    expect(stream.status).toBe(200);
    abort.abort();
    // Used once: refused when shown again, on either instance.
    expect((await fetch(`http://127.0.0.1:${a.httpPort}/api/v1/events?token=${grant.token}`)).status).toBe(401);

    expect((await call(a, 'DELETE', `/api-tokens/${id}`, ADMIN)).status).toBe(200);
    // Documented bound: at once over the cluster bus, 1 s if its note was lost (docs/scale-out.md); 0.5 s of slack.
    await waitUntil(async () => (await call(b, 'GET', '/me', token)).status === 401, 'the revoked token refused on B', 1500, 100);
  });

  it('agent credentials issued through A let the agent into the broker of B; revoked through A they no longer do', async () => {
    const issued = await call(a, 'POST', '/agent-credentials', ADMIN, { tenant: 'acme', agentId: 'a1' });
    expect(issued.status).toBe(201);
    const { username, password } = issued.body as { username: string; password: string };
    expect(await connectError(b, username, password)).toBeUndefined();
    // Known to B now (its cache of verified tokens): the revocation must still reach it.
    expect(await connectError(b, username, password)).toBeUndefined();
    expect((await call(a, 'DELETE', '/agent-credentials/acme/a1', ADMIN)).status).toBe(204);
    await waitUntil(async () => (await connectError(b, username, password)) !== undefined, 'the revoked agent refused by B', 5000, 200);
    expect((await connectError(b, username, password))?.message).toMatch(/bad username or password/i);
  });

  it('`fleetdesk api-token create` works on the store while the instances run', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [join(REPO_ROOT, 'bin/fleetdesk.mjs'), 'api-token', 'create', '--role', 'technician', '--name', 'marek', '--config', a.configFile],
        { encoding: 'utf8', timeout: 60_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(out).toContain('stored hashed in the store (postgres');
    const token = out.split('\n').find((l) => l.startsWith('fdk_'))!;
    expect(await call(b, 'GET', '/me', token)).toMatchObject({ status: 200, body: { name: 'marek', role: 'technician' } });
    expect(await call(a, 'GET', '/me', token)).toMatchObject({ status: 200 });
  }, 90_000);
});
