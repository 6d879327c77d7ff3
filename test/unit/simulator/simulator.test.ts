/**
 * startSimulator end to end inside the test process: real loopback sockets, time driven by a
 * ManualClock, so scenario changes happen exactly when the test says.
 */
import { createSocket } from 'node:dgram';
import { request as httpRequest } from 'node:http';
import ipp from 'ipp';
import { afterEach, describe, expect, it } from 'vitest';
import { OID } from '../../../mibs/oids.generated.js';
import { startSimulator, type RunningSimulator, type ScenarioChange } from '../../../agent/simulator/simulator.js';
import { createLogger } from '../../../shared/logging.js';
import { ManualClock } from '../../harness/manualClock.js';
import { freeUdpPort, waitUntil } from '../../harness/peers.js';
import { decodeResponse, request } from './snmpPackets.js';

const quiet = createLogger({ name: 'sim-test', level: 'silent', format: 'json' });
const running: RunningSimulator[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function start(options: Parameters<typeof startSimulator>[0]) {
  const sim = await startSimulator({ logger: quiet, ...options });
  running.push(sim);
  return sim;
}

function udp(port: number, packet: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('message', (msg) => {
      socket.close();
      resolve(msg);
    });
    socket.once('error', reject);
    socket.send(packet, port, '127.0.0.1');
  });
}

async function snmpGet(port: number, community: string, oid: string) {
  return decodeResponse(await udp(port, request({ community, pdu: 'get', oids: [oid] }))).varbinds[0]!;
}

function ippPost(url: string, body: Buffer, contentType = 'application/ipp'): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url.replace(/^ipp:/, 'http:'),
      { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function getPrinterAttributes(uri: string, requested?: string[]): Buffer {
  return ipp.serialize({
    operation: 'Get-Printer-Attributes',
    id: 77,
    'operation-attributes-tag': {
      'attributes-charset': 'utf-8',
      'attributes-natural-language': 'en',
      'printer-uri': uri,
      ...(requested ? { 'requested-attributes': requested } : {}),
    },
  });
}

function printerAttrs(body: Buffer): Record<string, unknown> {
  const parsed = ipp.parse(body) as unknown as Record<string, unknown>;
  return { status: parsed.statusCode, ...((parsed['printer-attributes-tag'] ?? {}) as Record<string, unknown>) };
}

describe('startSimulator', () => {
  it('follows the jam scenario on the clock, over SNMP and IPP alike', async () => {
    const clock = new ManualClock();
    const changes: ScenarioChange[] = [];
    const sim = await start({ devices: 3, scenario: 'jam', clock, onChange: (c) => changes.push(c) });
    expect(sim.devices.map((d) => d.id)).toEqual(['dev-0001', 'dev-0002', 'dev-0003']);
    const dev = sim.devices[0]!;
    const errorState = `${OID.hrPrinterDetectedErrorState}.1`;
    expect((await snmpGet(sim.snmpPort, dev.community, errorState)).raw).toEqual(Buffer.from([0, 0]));

    clock.advance(30_001);
    expect(changes.filter((c) => c.deviceId === 'dev-0001').map((c) => c.what)).toEqual(['raised: Paper jam (media-jam-error)']);
    expect((await snmpGet(sim.snmpPort, dev.community, errorState)).raw).toEqual(Buffer.from([0x04, 0]));
    const jammed = printerAttrs((await ippPost(dev.ippUrl!, getPrinterAttributes(dev.ippUrl!))).body);
    expect(jammed).toMatchObject({ status: 'successful-ok', 'printer-state': 'stopped', 'printer-state-reasons': 'media-jam-error' });

    clock.advance(60_000);
    expect(changes.filter((c) => c.deviceId === 'dev-0001').map((c) => c.what)).toEqual(['raised: Paper jam (media-jam-error)', 'cleared: Paper jam']);
    expect((await snmpGet(sim.snmpPort, dev.community, errorState)).raw).toEqual(Buffer.from([0, 0]));
    expect(printerAttrs((await ippPost(dev.ippUrl!, getPrinterAttributes(dev.ippUrl!))).body)['printer-state-reasons']).toBe('none');
    expect(clock.timerCount).toBe(0); // the jam scenario has nothing more to do
  });

  it('shows a change at its exact instant, even between two whole seconds', async () => {
    const clock = new ManualClock();
    const sim = await start({
      devices: 1,
      ippPort: false,
      clock,
      scenario: { name: 'x', events: [{ action: 'raise', condition: 'doorOpen', at: '30500ms' }] },
    });
    const errorState = `${OID.hrPrinterDetectedErrorState}.1`;
    clock.advance(30_200);
    expect((await snmpGet(sim.snmpPort, 'dev-0001', errorState)).raw).toEqual(Buffer.from([0, 0]));
    clock.advance(300);
    expect((await snmpGet(sim.snmpPort, 'dev-0001', errorState)).raw).toEqual(Buffer.from([0x08, 0]));
  });

  it('drains toner continuously: the level read over SNMP falls as the clock runs', async () => {
    const clock = new ManualClock();
    const sim = await start({ devices: 1, ippPort: false, clock, scenario: 'toner-drain' });
    const level = async () => (await snmpGet(sim.snmpPort, 'dev-0001', `${OID.prtMarkerSuppliesLevel}.1.1`)).value as number;
    const pages = async () => (await snmpGet(sim.snmpPort, 'dev-0001', `${OID.prtMarkerLifeCount}.1.1`)).value as number;
    const [l0, p0] = [await level(), await pages()];
    clock.advance(60_000);
    expect(await level()).toBe(l0 - 5);
    expect(await pages()).toBe(p0 + 20);
    clock.advance(30_000);
    expect(await level()).toBe(Math.round(l0 - 7.5));
  });

  it('a silent device answers neither SNMP nor IPP while the others answer', async () => {
    const clock = new ManualClock();
    const sim = await start({
      devices: 2,
      clock,
      scenario: { name: 's', events: [{ action: 'silent', at: '10s', until: '20s', devices: { ids: ['dev-0002'] } }] },
    });
    clock.advance(10_000);
    const url = sim.devices[1]!.ippUrl!;
    // The IPP request hangs (like a frozen printer) until the simulator stops.
    const hanging = ippPost(url, getPrinterAttributes(url)).then(
      () => 'answered',
      () => 'connection closed',
    );
    await waitUntil(() => sim.stats().ipp?.held === 1, 'the IPP request to be held');
    const socket = createSocket('udp4');
    socket.send(request({ community: 'dev-0002', pdu: 'get', oids: [`${OID.sysName}.0`] }), sim.snmpPort, '127.0.0.1');
    await waitUntil(() => (sim.stats().snmp.dropped.silent ?? 0) === 1, 'the silent drop to be counted');
    socket.close();
    expect((await snmpGet(sim.snmpPort, 'dev-0001', `${OID.sysName}.0`)).value).toBe('dev-0001');
    clock.advance(10_000);
    expect((await snmpGet(sim.snmpPort, 'dev-0002', `${OID.sysName}.0`)).value).toBe('dev-0002');
    await sim.stop();
    expect(await hanging).toBe('connection closed');
  });

  it('survives malformed datagrams and keeps answering', async () => {
    const sim = await start({ devices: 1, ippPort: false, clock: new ManualClock() });
    const socket = createSocket('udp4');
    const garbage = [
      Buffer.from([0x30]),
      Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from('hello'),
      Buffer.alloc(1000, 0x30),
      request({ pdu: 'get', community: 'dev-0001', oids: [`${OID.sysName}.0`] }).subarray(0, 20),
    ];
    for (const g of garbage) socket.send(g, sim.snmpPort, '127.0.0.1');
    await waitUntil(() => (sim.stats().snmp.dropped.malformed ?? 0) === garbage.length, 'all malformed packets to be counted');
    socket.close();
    expect(sim.stats().snmp.errors).toBe(0);
    expect((await snmpGet(sim.snmpPort, 'dev-0001', `${OID.sysName}.0`)).value).toBe('dev-0001');
  });

  it('answers per-device ports with community "public"', async () => {
    const base = await freeUdpPort();
    const sim2 = await start({ devices: 2, ippPort: false, snmpPortBase: base, clock: new ManualClock() }).catch((err: Error) => err);
    if (sim2 instanceof Error) {
      // The neighbouring port was taken by someone else: the error must say which device and port.
      expect(sim2.message).toMatch(/device dev-000\d: cannot listen on UDP 127\.0\.0\.1:\d+/);
      return;
    }
    expect(sim2.devices.map((d) => d.devicePort)).toEqual([base, base + 1]);
    expect((await snmpGet(base + 1, 'public', `${OID.sysName}.0`)).value).toBe('dev-0002');
  });

  it('honours requested-attributes and rejects what is not IPP', async () => {
    const sim = await start({ devices: 1, clock: new ManualClock() });
    const url = sim.devices[0]!.ippUrl!;
    const some = printerAttrs((await ippPost(url, getPrinterAttributes(url, ['printer-state', 'marker-levels']))).body);
    expect(Object.keys(some).sort()).toEqual(['marker-levels', 'printer-state', 'status']);
    const all = printerAttrs((await ippPost(url, getPrinterAttributes(url))).body);
    expect(all['printer-uuid']).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(all['printer-make-and-model']).toBe('HP Color LaserJet Pro M454dw');
    const notFound = ipp.parse((await ippPost(url.replace('dev-0001', 'dev-9999'), getPrinterAttributes(url))).body) as unknown as Record<string, unknown>;
    expect(notFound.statusCode).toBe('client-error-not-found');
    expect((await ippPost(url, Buffer.from('x'), 'text/plain')).status).toBe(415);
    expect((await ippPost(url, Buffer.from([2, 0, 0, 11, 0, 0, 0, 1, 1, 0x47, 0, 50]))).status).toBe(400);
  });

  it('rejects a non-loopback host and bad options with a clear message', async () => {
    await expect(startSimulator({ host: '192.168.1.10', logger: quiet })).rejects.toThrow(/loopback only .* found 192\.168\.1\.10/);
    await expect(startSimulator({ devices: 0, logger: quiet })).rejects.toThrow(/no devices to simulate/);
    await expect(startSimulator({ snmpPort: 70000, logger: quiet })).rejects.toThrow(/snmpPort: expected a port from 0 to 65535, found 70000/);
  });
});
