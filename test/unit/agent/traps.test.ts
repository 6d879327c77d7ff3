import { afterEach, describe, expect, it } from 'vitest';
import snmp from 'net-snmp';
import { classifyTrap, parseTrapListen, startTrapListener, type TrapListener } from '../../../agent/traps/trapListener.js';
import { OID } from '../../../mibs/oids.generated.js';
import { freeUdpPort, waitUntil } from '../../harness/peers.js';

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
let listener: TrapListener | null = null;
afterEach(async () => {
  await listener?.stop();
  listener = null;
});

function sendTrap(port: number, version: 'v1' | 'v2c', type: number | string = snmp.TrapType.LinkDown): Promise<void> {
  const session = snmp.createSession('127.0.0.1', 'public', { trapPort: port, version: version === 'v1' ? snmp.Version1 : snmp.Version2c });
  return new Promise((resolve, reject) => {
    session.trap(type, (err: Error | null) => {
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

  it('tells a printer alert trap from a generic one, for v1 and v2c', async () => {
    const port = await freeUdpPort();
    const polled: string[] = [];
    listener = startTrapListener(
      { devicesAtHost: () => ['d1'], pollNow: (id) => (polled.push(id), true), countTrap: () => undefined },
      `127.0.0.1:${port}`,
      quiet,
    );
    await new Promise((r) => setTimeout(r, 100));
    await sendTrap(port, 'v2c', OID.printerV2Alert);
    await waitUntil(() => listener!.received() === 1, 'the v2c printer alert', 5000);
    expect(listener.receivedByKind()).toEqual({ printerAlert: 1, generic: 0 });
    await sendTrap(port, 'v1', OID.printerV2Alert);
    await waitUntil(() => listener!.received() === 2, 'the v1 printer alert', 5000);
    expect(listener.receivedByKind()).toEqual({ printerAlert: 2, generic: 0 });
    await sendTrap(port, 'v2c');
    await waitUntil(() => listener!.received() === 3, 'the generic trap', 5000);
    expect(listener.receivedByKind()).toEqual({ printerAlert: 2, generic: 1 });
    // Both kinds re-poll the sender.
    expect(polled).toEqual(['d1', 'd1', 'd1']);
  });

  it('classifyTrap maps SNMPv1 fields and snmpTrapOID.0 to a trap OID', () => {
    const printerV1Alert = OID.printerV2Alert.replace(/\.0\.1$/, '');
    expect(classifyTrap({ enterprise: printerV1Alert, generic: 6, specific: 1 })).toEqual({ kind: 'printerAlert', trapOid: OID.printerV2Alert });
    expect(classifyTrap({ enterprise: `${printerV1Alert}.0`, generic: 6, specific: 1 })).toEqual({ kind: 'printerAlert', trapOid: OID.printerV2Alert });
    expect(classifyTrap({ enterprise: printerV1Alert, generic: 6, specific: 2 })).toEqual({ kind: 'generic', trapOid: `${printerV1Alert}.0.2` });
    expect(classifyTrap({ enterprise: '1.3.6.1.4.1.11', generic: 0, specific: 0 })).toEqual({ kind: 'generic', trapOid: '1.3.6.1.6.3.1.1.5.1' });
    const v2 = (oid: string) => ({
      varbinds: [
        { oid: `${OID.sysUpTime}.0`, type: 67, value: 5 },
        { oid: `${OID.snmpTrapOID}.0`, type: 6, value: oid },
      ],
    });
    expect(classifyTrap(v2(OID.printerV2Alert))).toEqual({ kind: 'printerAlert', trapOid: OID.printerV2Alert });
    expect(classifyTrap(v2('1.3.6.1.6.3.1.1.5.3'))).toEqual({ kind: 'generic', trapOid: '1.3.6.1.6.3.1.1.5.3' });
    expect(classifyTrap(undefined)).toEqual({ kind: 'generic', trapOid: null });
    expect(classifyTrap({ varbinds: [null, 7, { oid: 5 }] })).toEqual({ kind: 'generic', trapOid: null });
  });

  it('validates the listen address', () => {
    expect(parseTrapListen('0.0.0.0:162')).toEqual({ address: '0.0.0.0', port: 162 });
    expect(() => parseTrapListen('localhost')).toThrow(/traps.listen must be address:port/);
  });
});
