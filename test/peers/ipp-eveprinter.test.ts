/**
 * The IPP collector, normaliser and `fleetdesk probe` against CUPS's real ippeveprinter:
 * supply levels changed through its /supplies web form must show up as levels and as the
 * toner-low / waste-full conditions the printer raises; one response is cross-checked against
 * `ipptool -tv`; ipps:// works only with the printer's certificate pinned.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectIpp, DEFAULT_IPP_OPTIONS } from '../../agent/collect/ipp/ippCollector.js';
import { normaliseIpp } from '../../agent/normalise/ipp/ippPrinter.js';
import { DeviceSnapshot } from '../../shared/snapshot.js';
import { ensureDnsSdDaemons, ipptoolAttributes, startIppEvePrinter, type DnsSdDaemons, type IppEvePrinter } from '../harness/ippPeers.js';
import { REPO_ROOT } from '../harness/repo.js';

const AT = '2026-03-02T08:00:00.000Z';

function runProbe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(REPO_ROOT, 'bin/fleetdesk.mjs'), 'probe', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

async function probeJson(uri: string, extra: string[] = []): Promise<DeviceSnapshot> {
  const r = await runProbe(['--json', '--timeout', '3000', ...extra, uri]);
  expect(r.code, r.stderr).toBe(0);
  return DeviceSnapshot.parse(JSON.parse(r.stdout));
}

let daemons: DnsSdDaemons | undefined;
let mono: IppEvePrinter | undefined;

beforeAll(async () => {
  daemons = await ensureDnsSdDaemons();
  mono = await startIppEvePrinter({ name: 'FleetDeskMono' });
});

afterAll(async () => {
  await mono?.stop();
  await daemons?.stop();
});

describe('ippeveprinter (CUPS) through the IPP collector and fleetdesk probe', () => {
  it('reads identity, idle state and the default supply levels', async () => {
    const snap = await probeJson(mono!.uri);
    expect(snap.protocols).toEqual(['ipp']);
    expect(snap.status).toBe('idle');
    expect(snap.identity).toMatchObject({ vendor: 'FleetDesk', model: 'Test Printer', sysName: 'FleetDeskMono' });
    expect(snap.identity.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(snap.supplies.map((s) => [s.index, s.kind, s.color])).toEqual([
      [1, 'waste', null],
      [2, 'toner', 'black'],
    ]);
    expect(snap.supplies[1]).toMatchObject({ levelPercent: 75, state: 'ok' });
    expect(snap.faults).toEqual([]);
  });

  it('reports a toner level set through /supplies, with toner low and waste almost full', async () => {
    await mono!.setSupplyLevels([95, 2]);
    const snap = await probeJson(mono!.uri);
    const [waste, toner] = snap.supplies;
    expect([toner?.levelPercent, toner?.state]).toEqual([2, 'low']);
    expect([waste?.levelPercent, waste?.state]).toEqual([95, 'nearFull']);
    expect(snap.faults.map((f) => [f.code, f.subunit?.index])).toEqual([
      ['waste.nearFull', 1],
      ['toner.low', 2],
    ]);
    expect(snap.status).toBe('warning');
  });

  it('reports toner empty and waste full, and the text output says so', async () => {
    await mono!.setSupplyLevels([100, 0]);
    const snap = await probeJson(mono!.uri);
    expect(snap.supplies.map((s) => [s.levelPercent, s.state])).toEqual([
      [100, 'full'],
      [0, 'empty'],
    ]);
    expect(snap.faults.map((f) => [f.code, f.severity])).toEqual([
      ['waste.full', 'critical'],
      ['toner.empty', 'critical'],
    ]);
    const text = await runProbe([mono!.uri]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/CRITICAL\s+waste\.full/);
    expect(text.stdout).toMatch(/CRITICAL\s+toner\.empty/);
    expect(text.stdout).toMatch(/Needs attention: Waste container full, Toner empty/);
  });

  it('decodes the same values ipptool -tv shows', async () => {
    await mono!.setSupplyLevels([40, 60]);
    const ours = await collectIpp(mono!.uri, DEFAULT_IPP_OPTIONS);
    const theirs = ipptoolAttributes(mono!.uri);
    const text = (name: string) =>
      ours.attributes
        .get(name)
        ?.values.map((v) => (v.kind === 'string' ? v.value : v.kind === 'integer' ? String(v.value) : v.kind))
        .join(',');
    for (const name of [
      'printer-supply',
      'printer-supply-description',
      'printer-state-reasons',
      'printer-uuid',
      'printer-make-and-model',
      'printer-device-id',
      'printer-name',
    ]) {
      expect(text(name), name).toBe(theirs.get(name));
    }
    expect(theirs.get('printer-state')).toBe('idle');
    expect(text('printer-state')).toBe('3');
    expect(theirs.get('printer-supply')).toContain('level=60;');
    const { snapshot } = normaliseIpp({ address: ours.uri, collectedAt: AT, attributes: ours.attributes });
    // Waste at "40" with no full/almost-full reason is read the RFC 3805 way (40 % space left = 60 % full).
    expect(snapshot.supplies.map((s) => s.levelPercent)).toEqual([60, 60]);
  });

  it('reports no printer page counters, and none are made up', async () => {
    // CUPS ippeveprinter counts impressions per job (job-impressions-completed) but reports no
    // printer-impressions-completed / printer-media-sheets-completed(-col): nothing to bill from.
    const theirs = ipptoolAttributes(mono!.uri);
    for (const name of ['printer-impressions-completed', 'printer-impressions-completed-col', 'printer-media-sheets-completed', 'printer-pages-completed'])
      expect(theirs.has(name), name).toBe(false);
    const snap = await probeJson(mono!.uri);
    expect(snap.counters).toEqual({});
    expect(snap.counterProvenance).toBeUndefined();
  });

  it('over ipps:// refuses the self-signed certificate until its fingerprint is pinned', async () => {
    const refused = await runProbe(['--timeout', '3000', mono!.ippsUri]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/TLS certificate not trusted .* fingerprint is ([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    const fingerprint = mono!.certificateFingerprint();
    expect(fingerprint).toBeDefined();
    const snap = await probeJson(mono!.ippsUri, ['--trust-cert', fingerprint!]);
    expect(snap.address).toBe(mono!.ippsUri);
    expect(snap.supplies).toHaveLength(2);
  });
});
