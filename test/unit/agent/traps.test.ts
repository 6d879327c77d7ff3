import { afterEach, describe, expect, it } from 'vitest';
import snmp from 'net-snmp';
import { parseTrapListen, startTrapListener, type TrapListener } from '../../../agent/traps/trapListener.js';
import { freeUdpPort, waitUntil } from '../../harness/peers.js';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
let listener: TrapListener | null = null;
afterEach(async () => {
  await listener?.stop();
  listener = null;
});

function sendTrap(port: number, version: 'v1' | 'v2c'): Promise<void> {
  const session = snmp.createSession('127.0.0.1', 'public', { trapPort: port, version: version === 'v1' ? snmp.Version1 : snmp.Version2c });
  return new Promise((resolve, reject) => {
    session.trap(snmp.TrapType.LinkDown, (err: Error | null) => {
      session.close();
      if (err) reject(err);
      else resolve();
    });
  });
}

describe('trap listener (loopback UDP)', () => {
  it('re-polls every device at the sender address at once, for v1 and v2c traps', async () => {
    const port = await freeUdpPort();
    const polled: string[] = [];
    let counted = 0;
    listener = startTrapListener(
      { devicesAtHost: (host) => (host === '127.0.0.1' ? ['d1', 'd1-ipp'] : []), pollNow: (id) => (polled.push(id), true), countTrap: () => void counted++ },
      `127.0.0.1:${port}`,
      quiet,
    );
    await new Promise((r) => setTimeout(r, 100));
    await sendTrap(port, 'v2c');
    await waitUntil(() => polled.length === 2, 'the re-poll after a v2c trap', 5000);
    await sendTrap(port, 'v1');
    await waitUntil(() => polled.length === 4, 'the re-poll after a v1 trap', 5000);
    expect(polled).toEqual(['d1', 'd1-ipp', 'd1', 'd1-ipp']);
    expect(counted).toBe(2);
    expect(listener.received()).toBe(2);
  });

  it('ignores traps from addresses it does not poll', async () => {
    const port = await freeUdpPort();
    const polled: string[] = [];
    listener = startTrapListener({ devicesAtHost: () => [], pollNow: (id) => (polled.push(id), true), countTrap: () => undefined }, `127.0.0.1:${port}`, quiet);
    await new Promise((r) => setTimeout(r, 100));
    await sendTrap(port, 'v2c');
    await waitUntil(() => listener!.received() === 1, 'the trap', 5000);
    expect(polled).toEqual([]);
  });

  it('validates the listen address', () => {
    expect(parseTrapListen('0.0.0.0:162')).toEqual({ address: '0.0.0.0', port: 162 });
    expect(() => parseTrapListen('localhost')).toThrow(/traps.listen must be address:port/);
  });
});
