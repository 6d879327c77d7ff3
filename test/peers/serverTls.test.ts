/** The embedded broker's TLS listener with a certificate made by openssl for the test. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logging.js';
import { createAgentToken } from '../../server/broker/credentials.js';
import { ServerConfig } from '../../server/serverConfig.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { makeTempDir, requireProgram } from '../harness/peers.js';
import { bytes, stateMsg, topicOf } from '../unit/server/wireFixtures.js';

const tmp = makeTempDir('tls');
let server: RunningServer | undefined;
afterAll(async () => {
  await server?.close();
  tmp.remove();
});

describe('embedded broker over TLS', () => {
  it('accepts an agent on the TLS listener only, with a verified certificate', async () => {
    const openssl = requireProgram('openssl', 'openssl');
    const cert = join(tmp.path, 'cert.pem');
    const key = join(tmp.path, 'key.pem');
    execFileSync(
      openssl,
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const config = ServerConfig.parse({
      dataDir: join(tmp.path, 'data'),
      http: { port: 0 },
      broker: { embedded: { tls: { port: 0, cert, key, only: true } } },
    });
    server = await startServer(config, createLogger({ name: 'test', level: 'silent' }));
    expect(server.mqttPort).toBeUndefined();
    const token = await createAgentToken(server.repo, { tenant: 'acme', agentId: 'a1' }, new Date());
    const client = await mqtt.connectAsync(`mqtts://127.0.0.1:${server.mqttTlsPort}`, {
      clientId: 'acme/a1',
      username: 'acme/a1',
      password: token,
      ca: readFileSync(cert),
      reconnectPeriod: 0,
    });
    const msg = stateMsg('acme', 'a1', 'p1');
    await client.publishAsync(topicOf(msg), bytes(msg), { qos: 1 });
    await client.endAsync();
    expect(await server.repo.list('devices')).toHaveLength(1);
    // a client that does not trust the certificate is refused by TLS itself
    await expect(
      mqtt.connectAsync(`mqtts://127.0.0.1:${server.mqttTlsPort}`, {
        clientId: 'acme/a1',
        username: 'acme/a1',
        password: token,
        reconnectPeriod: 0,
        connectTimeout: 3000,
      }),
    ).rejects.toThrow(/self[- ]signed|certificate/i);
  });
});
