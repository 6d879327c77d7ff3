import { describe, expect, it } from 'vitest';
import { parseSnmpProbeAddress, ProbeAddressError, redact } from '../../../agent/probe/snmpProbeTarget.js';

describe('fleetdesk probe SNMP addresses', () => {
  it('snmp:// defaults: community public, port 161, v2c', () => {
    expect(parseSnmpProbeAddress('snmp://192.0.2.5')).toEqual({ host: '192.0.2.5', port: 161, credential: { version: '2c', community: 'public' } });
  });
  it('community, port, version 1, IPv6, and "@" inside a community (snmpsim contexts)', () => {
    expect(parseSnmpProbeAddress('snmp://private@printer.local:1161?version=1')).toEqual({
      host: 'printer.local',
      port: 1161,
      credential: { version: '1', community: 'private' },
    });
    expect(parseSnmpProbeAddress('snmp://jetdirect_context@Jetdirect@127.0.0.1:16161').credential).toEqual({
      version: '2c',
      community: 'jetdirect_context@Jetdirect',
    });
    expect(parseSnmpProbeAddress('snmp://p%3Ass@[::1]:161')).toEqual({ host: '::1', port: 161, credential: { version: '2c', community: 'p:ss' } });
  });
  it('snmpv3:// levels follow from auth/priv', () => {
    expect(parseSnmpProbeAddress('snmpv3://mon@10.0.0.1').credential).toEqual({ version: '3', user: 'mon', level: 'noAuthNoPriv' });
    expect(parseSnmpProbeAddress('snmpv3://mon@10.0.0.1?auth=sha:authkey12').credential).toEqual({
      version: '3',
      user: 'mon',
      level: 'authNoPriv',
      authProtocol: 'sha',
      authKey: 'authkey12',
    });
    expect(parseSnmpProbeAddress('snmpv3://mon@10.0.0.1:1161?auth=SHA256:authkey12&priv=aes:privkey12&context=ctx')).toEqual({
      host: '10.0.0.1',
      port: 1161,
      credential: {
        version: '3',
        user: 'mon',
        level: 'authPriv',
        authProtocol: 'sha256',
        authKey: 'authkey12',
        privProtocol: 'aes',
        privKey: 'privkey12',
        context: 'ctx',
      },
    });
  });
  it.each([
    ['not a url', /not a URL/],
    ['snmp://h?version=3', /version must be 1 or 2c/],
    ['snmp://h:99999', /not a URL|port must be/],
    ['snmp://h?communty=x', /unknown option 'communty'/],
    ['snmpv3://h', /needs a user name/],
    ['snmpv3://u@h?auth=sha:short', /at least 8 characters/],
    ['snmpv3://u@h?auth=crc32:longenough', /auth protocol must be one of/],
    ['snmpv3://u@h?priv=aes:longenough', /needs authentication/],
    ['ftp://h', /unsupported scheme/],
  ])('%s is rejected clearly', (address, message) => {
    expect(() => parseSnmpProbeAddress(address)).toThrow(ProbeAddressError);
    expect(() => parseSnmpProbeAddress(address)).toThrow(message);
  });
  it('never echoes a community or key', () => {
    expect(redact('snmp://topsecret@h:161')).toBe('snmp://***@h:161');
    expect(redact('snmpv3://u@h?auth=sha:topsecret1&priv=aes:topsecret2')).toBe('snmpv3://***@h?auth=sha:***&priv=aes:***');
    expect(() => parseSnmpProbeAddress('snmp://topsecret@h?version=9')).toThrow(/^(?!.*topsecret)/);
  });
});
