/**
 * The peer harness itself: real Mosquitto carries wire-contract messages with the retain and QoS
 * the contract prescribes, and real snmpsimd serves a corpus recording by community.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import snmp from 'net-snmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, envelope } from '../../shared/wire/codec.js';
import type { AgentStatusMessage } from '../../shared/wire/messages.js';
import { statusTopic, TOPIC_POLICY } from '../../shared/wire/topics.js';
import { CORPUS_DIR } from '../harness/repo.js';
import { makeTempDir, requireProgram, startMosquitto, startSnmpsim, type MosquittoPeer, type SnmpsimPeer } from '../harness/peers.js';

describe('requireProgram', () => {
  it('names the Debian package of a missing program', () => {
    expect(() => requireProgram('fleetdesk-no-such-program', 'no-such-package')).toThrow(/install the Debian package 'no-such-package'/);
  });
});

describe('mosquitto peer', () => {
  let broker: MosquittoPeer;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('delivers a retained agent.status to a late subscriber, and it decodes', async () => {
    const topic = statusTopic('acme', 'office-1');
    const birth: AgentStatusMessage = {
      ...envelope(new Date('2026-11-20T08:00:00Z'), 'acme', 'office-1'),
      type: 'agent.status',
      state: 'online',
      reason: 'birth',
      agentVersion: '0.1.0',
      startedAt: '2026-11-20T07:59:00.000Z',
    };
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'harness-pub', reconnectPeriod: 0 });
    await pub.publishAsync(topic, encodeMessage(birth), { qos: TOPIC_POLICY.status.qos, retain: TOPIC_POLICY.status.retain });
    await pub.endAsync();

    const sub = await mqtt.connectAsync(broker.url, { clientId: 'harness-sub', reconnectPeriod: 0 });
    const received = new Promise<{ topic: string; payload: Buffer; retain: boolean }>((resolve) => {
      sub.on('message', (t, payload, packet) => resolve({ topic: t, payload, retain: packet.retain }));
    });
    await sub.subscribeAsync('fleetdesk/v1/+/+/status', { qos: 1 });
    const msg = await received;
    await sub.endAsync();
    expect(msg.retain).toBe(true);
    const decoded = decodeMessage(msg.topic, msg.payload);
    expect(decoded).toMatchObject({ ok: true, message: birth });
  });
});

describe('snmpsimd peer', () => {
  let sim: SnmpsimPeer;
  const data = makeTempDir('snmprec');
  beforeAll(async () => {
    mkdirSync(data.path, { recursive: true });
    copyFileSync(join(CORPUS_DIR, 'snmprec', 'jetdirect_m252dw.snmprec'), join(data.path, 'jetdirect_m252dw.snmprec'));
    sim = await startSnmpsim(data.path);
  });
  afterAll(async () => {
    await sim?.stop();
    data.remove();
  });

  it('serves the recording selected by the community', async () => {
    const session = snmp.createSession(sim.host, 'jetdirect_m252dw', { port: sim.port, version: snmp.Version2c, timeout: 2000, retries: 1 });
    const value = await new Promise<unknown>((resolve, reject) => {
      session.get(['1.3.6.1.2.1.1.1.0'], (err: Error | null, vbs?: { value?: unknown }[]) => (err ? reject(err) : resolve(vbs?.[0]?.value)));
    });
    session.close();
    expect(Buffer.isBuffer(value) ? value.toString('latin1') : value).toMatch(/HP Color LaserJet Pro M252dw/);
  });
});
