import { describe, expect, it } from 'vitest';
import { CidrError, expandRanges, parseCidr } from '../../../agent/discover/cidr.js';
import { progressBar, progressLine } from '../../../agent/discover/progress.js';
import { sweep } from '../../../agent/discover/sweep.js';
import type { FoundPrinter, ProbeSettings } from '../../../agent/discover/probe.js';
import { addressFor } from '../../../agent/runtime/discoveryService.js';
import { deviceIdFor, parseTarget, TargetError } from '../../../agent/runtime/targets.js';

describe('targets', () => {
  it('parses SNMP and IPP addresses and derives stable ids', () => {
    expect(parseTarget({ address: '10.0.0.5' })).toMatchObject({ deviceId: '10.0.0.5', protocol: 'snmp', host: '10.0.0.5', port: 161 });
    expect(parseTarget({ address: '10.0.0.5:1161' })).toMatchObject({ deviceId: '10.0.0.5_1161', host: '10.0.0.5', port: 1161 });
    expect(parseTarget({ address: 'snmp://s3cret@printer-1.local:1161' })).toMatchObject({
      deviceId: 'printer-1.local_1161',
      host: 'printer-1.local',
      port: 1161,
      community: 's3cret',
    });
    expect(parseTarget({ address: 'ipp://10.0.0.7:8631/ipp/print' })).toMatchObject({
      deviceId: 'ipp_10.0.0.7_8631_ipp_print',
      protocol: 'ipp',
      port: 8631,
      uri: 'ipp://10.0.0.7:8631/ipp/print',
    });
    expect(parseTarget({ address: '[::1]:1161' })).toMatchObject({ host: '::1', port: 1161 });
    expect(parseTarget({ address: '10.0.0.5', id: 'front-desk', critical: true })).toMatchObject({ deviceId: 'front-desk', critical: true });
    // The community never becomes part of the id.
    expect(deviceIdFor('snmp://s3cret@10.0.0.5')).toBe('10.0.0.5');
  });

  it('rejects bad addresses naming what is wrong', () => {
    expect(() => parseTarget({ address: 'printer one' })).toThrow(TargetError);
    expect(() => parseTarget({ address: 'printer one' })).toThrow(/invalid device address "printer one": expected host/);
    expect(() => parseTarget({ address: '10.0.0.5:70000' })).toThrow(/port 70000 is outside/);
    expect(() => parseTarget({ address: 'ipp://[broken' })).toThrow(/not a valid ipp/);
  });
});

describe('cidr', () => {
  it('expands ranges without network and broadcast addresses, de-duplicated, in order', () => {
    expect(expandRanges(['192.168.1.0/30'])).toEqual(['192.168.1.1', '192.168.1.2']);
    expect(expandRanges(['10.0.0.8/31', '10.0.0.9/32'])).toEqual(['10.0.0.8', '10.0.0.9']);
    expect(expandRanges(['127.0.4.0/22'])).toHaveLength(1022);
    expect(parseCidr('10.1.2.3')).toMatchObject({ count: 1 });
  });

  it('explains bad ranges', () => {
    expect(() => parseCidr('10.1.2.3/24')).toThrow(/host bits are set; did you mean 10.1.2.0\/24\?/);
    expect(() => parseCidr('10.1.2.0/33')).toThrow(/prefix length 33/);
    expect(() => parseCidr('10.1.300.0/24')).toThrow(/octet "300"/);
    expect(() => parseCidr('10.0.0.0/8')).toThrow(CidrError);
    expect(() => parseCidr('printers')).toThrow(/expected four dotted numbers/);
  });
});

describe('progress', () => {
  it('shows done/total, found, rate and ETA', () => {
    const p = { done: 256, total: 1024, found: 3, elapsedMs: 2000 };
    expect(progressBar(p, 8)).toBe('[##------] 256/1024 found 3  128/s  ETA 6s');
    expect(progressLine(p)).toBe('scanned 256/1024 addresses, found 3 printers, 128/s, ETA 6s');
    expect(progressLine({ done: 0, total: 10, found: 0, elapsedMs: 0 })).toMatch(/ETA \?/);
  });
});

describe('sweep', () => {
  const settings: ProbeSettings = { credentials: [], snmpPort: 161, snmpTimeoutMs: 10, snmpRetries: 0, ipp: false, ippPort: 631, ippTimeoutMs: 10 };

  it('probes every address once with bounded concurrency, survives probe errors, reports in address order', async () => {
    let active = 0;
    let maxActive = 0;
    const probed: string[] = [];
    const progress: number[] = [];
    const result = await sweep({
      ranges: ['10.9.0.0/28'],
      concurrency: 3,
      probe: settings,
      onProgress: (p) => progress.push(p.done),
      probeHost: async (host): Promise<FoundPrinter | null> => {
        probed.push(host);
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setTimeout(r, host.endsWith('.2') ? 5 : 1));
        active--;
        if (host === '10.9.0.4') throw new Error('garbage answer');
        return host === '10.9.0.2' || host === '10.9.0.9' ? { host, snmp: { port: 161, credential: 0, version: '2c', printerBy: 'printerMib' } } : null;
      },
    });
    expect(new Set(probed).size).toBe(14);
    expect(probed).toHaveLength(14);
    expect(maxActive).toBe(3);
    expect(result.found.map((f) => f.host)).toEqual(['10.9.0.2', '10.9.0.9']);
    expect(progress.at(-1)).toBe(14);
    expect(result).toMatchObject({ scanned: 14, total: 14, aborted: false });
  });

  it('picks the address a discovered printer is polled at', () => {
    expect(addressFor({ host: '10.0.0.1', snmp: { port: 161, credential: 0, version: '2c', printerBy: 'hrDeviceType' } }, 161)).toBe('10.0.0.1');
    expect(addressFor({ host: '10.0.0.1', snmp: { port: 1161, credential: 0, version: '2c', printerBy: 'hrDeviceType' } }, 161)).toBe('10.0.0.1:1161');
    expect(addressFor({ host: '10.0.0.1', ipp: { uri: 'ipp://10.0.0.1:631/ipp/print' } }, 161)).toBe('ipp://10.0.0.1:631/ipp/print');
  });
});
