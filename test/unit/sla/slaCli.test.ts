import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../bin/cli.js';
import { PRESET_SPECS } from '../../../server/sla/presets.js';
import { makeTempDir } from '../../harness/peers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  vi.restoreAllMocks();
  while (cleanups.length) cleanups.pop()!();
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  });
  const code = await main(['node', 'fleetdesk', ...args]);
  vi.restoreAllMocks();
  return { code, out, err };
}

describe('fleetdesk sla', () => {
  it('deadline prints the ISO deadline in the contract zone', async () => {
    expect(await run('sla', 'deadline', '--contract', 'device-vendor', '--impact', 'critical', '--at', '2026-03-02T16:00:00+01:00')).toEqual({
      code: 0,
      out: '2026-03-03T09:00:00.000+01:00\n',
      err: '',
    });
    // UTC input, answer across the spring DST change in local time.
    // Friday 15:00 CET: 2 h on Friday, 4 h on Monday (now CEST).
    expect((await run('sla', 'deadline', '--contract', 'device-vendor', '--impact', 'high', '--at', '2026-03-27T14:00:00Z')).out).toBe(
      '2026-03-30T12:00:00.000+02:00\n',
    );
    // A level of the contract's own scale; a local time without offset is read in the contract zone.
    expect((await run('sla', 'deadline', '--contract', 'software-5level', '--impact', 'sev1', '--at', '2026-04-03T10:00')).out).toBe(
      '2026-04-08T10:00:00.000+02:00\n',
    );
    expect(
      (await run('sla', 'deadline', '--contract', 'device-vendor-onsite-4h', '--impact', 'critical', '--target', 'onsite', '--at', '2026-03-06T15:00')).out,
    ).toBe('2026-03-09T10:00:00.000+01:00\n');
    expect((await run('sla', 'deadline', '--contract', 'community', '--impact', 'critical', '--at', '2026-03-06T15:00')).out).toMatch(
      /^none: contract community has no guaranteed reaction time/,
    );
    const explained = await run('sla', 'deadline', '--contract', 'start', '--impact', 'low', '--at', '2026-03-07T12:00', '--explain');
    expect(explained.out.split('\n')).toEqual([
      '2026-03-09T16:00:00.000+01:00',
      'contract: start (START plan)',
      'level: guaranteed (guaranteed reaction 8h); reaction target 8 h of working time; calendar: contract; working day 480 min',
      'registered: 2026-03-07T12:00:00.000+01:00; clock starts: 2026-03-09T08:00:00.000+01:00',
      '',
    ]);
  });

  it('between prints working minutes; the impact selects a coverage calendar', async () => {
    expect((await run('sla', 'between', '--contract', 'device-vendor', '--from', '2025-12-22T00:00', '--to', '2025-12-29T00:00')).out).toBe(`${2 * 9 * 60}\n`);
    // Christmas week: 2025 has 24 December off (Mon, Tue work); 2024 did not (Mon, Tue, Fri work).
    expect((await run('sla', 'between', '--contract', 'device-vendor', '--from', '2024-12-23T00:00', '--to', '2024-12-30T00:00')).out).toBe(`${3 * 9 * 60}\n`);
    expect((await run('sla', 'between', '--contract', 'standard', '--from', '2026-03-07T00:00', '--to', '2026-03-08T00:00')).out).toBe('0\n');
    expect((await run('sla', 'between', '--contract', 'standard', '--impact', 'critical', '--from', '2026-03-07T00:00', '--to', '2026-03-08T00:00')).out).toBe(
      '600\n',
    );
  });

  it('bad input gives one clear line and a non-zero exit', async () => {
    const first = (r: { err: string }) => r.err.trim().split('\n');
    let r = await run('sla', 'deadline', '--contract', 'gold', '--impact', 'critical', '--at', '2026-03-02T10:00');
    expect([r.code, first(r)]).toEqual([1, [`fleetdesk: unknown contract "gold": presets are ${Object.keys(PRESET_SPECS).join(', ')}`]]);
    r = await run('sla', 'deadline', '--contract', 'standard', '--impact', 'urgent', '--at', '2026-03-02T10:00');
    expect(first(r)).toEqual(['fleetdesk: contract standard: unknown impact or level "urgent": expected one of critical, high, medium, low, guaranteed']);
    r = await run('sla', 'deadline', '--contract', 'standard', '--impact', 'critical', '--at', 'yesterday');
    expect(first(r)[0]).toMatch(/^fleetdesk: invalid --at "yesterday": expected an ISO 8601 date-time/);
    r = await run('sla', 'between', '--contract', 'standard', '--from', '2026-03-09T00:00', '--to', '2026-03-02T00:00');
    expect(first(r)).toEqual(['fleetdesk: --to (2026-03-02T00:00) is before --from (2026-03-09T00:00)']);
    r = await run('sla', 'deadline', '--contract', 'standard', '--at', '2026-03-02T10:00');
    expect(r.code).not.toBe(0);
  });

  it('contracts from a file are validated and usable by id', async () => {
    const dir = makeTempDir('sla-cli');
    cleanups.push(dir.remove);
    const good = join(dir.path, 'contracts.yaml');
    writeFileSync(
      good,
      stringify({
        contracts: [
          {
            ...PRESET_SPECS['device-vendor'],
            id: 'acme-gold',
            levels: [{ id: 'p1', label: 'P1', reaction: '90m' }],
            impactToLevel: { critical: 'p1', high: 'p1', medium: 'p1', low: 'p1' },
          },
        ],
      }),
    );
    expect((await run('sla', 'deadline', '--contracts', good, '--contract', 'acme-gold', '--impact', 'low', '--at', '2026-03-02T16:00')).out).toBe(
      '2026-03-03T08:30:00.000+01:00\n',
    );
    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(bad, stringify([{ ...PRESET_SPECS['email'], id: 'x', levels: [{ id: 'guaranteed', label: 'g', reaction: 'soon' }] }]));
    const r = await run('sla', 'contracts', '--contracts', bad);
    expect([r.code, r.err.trim()]).toEqual([
      2,
      `fleetdesk: ${bad}: contracts[0]: invalid contract: levels[0].reaction: expected a working-time target such as "30m", "2h" or "2d", found string "soon"`,
    ]);
    expect((await run('sla', 'contracts')).out.split('\n')[0]).toBe(
      'device-vendor\tcritical=2h high=6h medium=2d low=5d\tMFP/printer vendor service rules (4 impact levels)',
    );
  });
});
