/**
 * The editable catalogue: the pure rules (changed keys, version conflicts, who uses a contract,
 * references to unknown contracts) and the store-backed LiveCatalogue (versions kept for
 * tickets, deletion rules, reload after a restart and on another instance over the same store).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changedKeys, contractUsers, describeUsers, isUnused, unknownContractReferences, versionConflict } from '../../../server/catalogue/catalogueRecords.js';
import {
  CatalogueConflictError,
  CatalogueInvalidError,
  CatalogueNotFoundError,
  LiveCatalogue,
  type LiveCatalogueOptions,
} from '../../../server/catalogue/liveCatalogue.js';
import { classifyImpact, DEFAULT_IMPACT_SETTINGS, type ImpactSettings } from '../../../server/impact/impactRules.js';
import { termsFor } from '../../../server/sla/contract.js';
import { JournaledStore } from '../../../server/storage/journaledStore.js';
import { ManualClock } from '../../harness/manualClock.js';
import { makeTempDir } from '../../harness/peers.js';

const ADMIN = { name: 'admin', tokenId: 'bootstrap-admin' };
const SILVER = {
  id: 'silver',
  name: 'Silver',
  calendar: { zone: 'Europe/Warsaw', holidays: 'PL', week: { mon: ['08:00-16:00'], tue: ['08:00-16:00'] } },
  levels: [{ id: 'std', label: 'Standard', reaction: '4h' }],
  impactToLevel: { critical: 'std', high: 'std', medium: 'std', low: 'std' },
  queues: { default: 'general' },
};
const withReaction = (reaction: string) => ({ ...SILVER, levels: [{ id: 'std', label: 'Standard', reaction }] });

describe('catalogue rules (pure)', () => {
  it('names the top-level keys that changed', () => {
    expect(changedKeys({ a: 1, b: [1, 2], c: 'x' }, { a: 1, b: [1, 3], d: true })).toEqual(['b', 'c', 'd']);
    expect(changedKeys(null, { id: 'x', name: 'y' })).toEqual(['id', 'name']);
    expect(changedKeys({ a: { n: 1 } }, { a: { n: 1 } })).toEqual([]);
  });

  it('reports a version conflict with both versions, and none when they match', () => {
    expect(versionConflict('contract x', 3, 3)).toBeNull();
    expect(versionConflict('contract x', 2, 3)).toMatch(/contract x is at version 3, the change was based on version 2/);
  });

  it('finds every user of a contract: customers, the default, open tickets, impact rules', () => {
    const impact: ImpactSettings = {
      rules: [
        { id: 'gold-first', when: { contracts: ['gold'] }, level: 'critical' },
        { id: 'rest', when: {}, level: 'low' },
      ],
      contractScales: { gold: { critical: 'P1', high: 'P2', medium: 'P3', low: 'P4' } },
    };
    const users = contractUsers('gold', {
      customerContracts: { acme: 'gold', globex: 'standard', initech: 'gold', hooli: undefined },
      defaultContract: 'standard',
      openTickets: [
        { id: 'T000002', contractId: 'gold', customerContractId: 'gold' },
        { id: 'T000001', contractId: 'standard', customerContractId: 'gold' },
        { id: 'T000003', contractId: 'standard', customerContractId: 'standard' },
      ],
      impact,
    });
    expect(users).toEqual({
      customers: ['acme', 'initech'],
      defaultContract: false,
      openTickets: ['T000001', 'T000002'],
      impactRules: ['rule gold-first', 'contractScales'],
    });
    expect(isUnused(users)).toBe(false);
    expect(describeUsers(users)).toBe('customers acme, initech; open tickets T000001, T000002; impact rules rule gold-first, contractScales');
    expect(describeUsers({ customers: ['a', 'b', 'c'], defaultContract: true, openTickets: [], impactRules: [] }, 2)).toBe(
      'customers a, b …(1 more); tickets.defaultContract of server.yaml',
    );
    expect(
      isUnused(contractUsers('unused', { customerContracts: { acme: 'gold' }, defaultContract: 'standard', openTickets: [], impact: DEFAULT_IMPACT_SETTINGS })),
    ).toBe(true);
  });

  it('flags rules and scales naming unknown contracts, with the path of each', () => {
    const settings: ImpactSettings = {
      rules: [
        { id: 'a', when: { contracts: ['none', 'standard', 'platinum'] }, level: 'high' },
        { id: 'rest', when: {}, level: 'low' },
      ],
      contractScales: { standard: { critical: '1', high: '2', medium: '3', low: '4' }, ghost: { critical: '1', high: '2', medium: '3', low: '4' } },
    };
    expect(unknownContractReferences(settings, new Set(['standard'])).map((p) => [p.path, p.found])).toEqual([
      ['rules[0].when.contracts[2]', 'platinum'],
      ['contractScales.ghost', 'ghost'],
    ]);
  });
});

describe('LiveCatalogue over the store', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: JournaledStore;
  const clock = new ManualClock('2026-03-02T09:00:00Z');
  const options = (extra: Partial<LiveCatalogueOptions> = {}): LiveCatalogueOptions => ({
    repo: store,
    clock,
    configContracts: [],
    configImpact: DEFAULT_IMPACT_SETTINGS,
    customerContracts: { acme: 'device-vendor' },
    defaultContract: 'device-vendor',
    ...extra,
  });
  const open = async (extra: Partial<LiveCatalogueOptions> = {}) => {
    const c = new LiveCatalogue(options(extra));
    await c.load();
    return c;
  };

  beforeEach(async () => {
    temp = makeTempDir('catalogue');
    store = new JournaledStore({ dir: temp.path });
    await store.open();
  });
  afterEach(async () => {
    await store.close();
    temp.remove();
  });

  it('serves every stored version: the one in force to new tickets, the recorded one to old tickets', async () => {
    const c = await open();
    await c.createContract(SILVER, ADMIN);
    clock.advance(60_000);
    await c.updateContract('silver', withReaction('1h'), 1, ADMIN);
    expect(c.get('silver').version).toBe(2);
    expect(termsFor(c.get('silver'), 'high').reactionMs).toBe(3_600_000);
    expect(termsFor(c.get('silver', 1), 'high').reactionMs).toBe(4 * 3_600_000);
    expect(() => c.get('silver', 7)).toThrow(/unknown version 7 of contract "silver"/);
    expect(c.entry('silver')).toMatchObject({ version: 2, origin: 'api', defaultOrigin: null, updatedAt: '2026-03-02T09:01:00.000Z', updatedBy: ADMIN });
    expect(c.versions('silver').map((v) => [v.version, v.action, v.changed])).toEqual([
      [1, 'create', expect.arrayContaining(['id', 'levels'])],
      [2, 'update', ['levels']],
    ]);
  });

  it('overrides a preset by id and reverts to it; version 0 is always the preset', async () => {
    const c = await open();
    const preset = c.get('standard');
    const spec = { ...preset.spec, name: 'STANDARD (renegotiated)' };
    await expect(c.updateContract('standard', spec, 1, ADMIN)).rejects.toBeInstanceOf(CatalogueConflictError);
    await c.updateContract('standard', spec, 0, ADMIN);
    expect(c.get('standard').spec.name).toBe('STANDARD (renegotiated)');
    expect(c.get('standard', 0).spec.name).toBe('STANDARD plan');
    expect(c.entry('standard')).toMatchObject({ origin: 'api', defaultOrigin: 'preset' });
    const r = await c.retireContract('standard', 1, ADMIN);
    expect(r.revertedTo).toMatchObject({ origin: 'preset', version: 2 });
    expect(c.get('standard').spec.name).toBe('STANDARD plan');
    expect(c.get('standard', 1).spec.name).toBe('STANDARD (renegotiated)');
    await expect(c.retireContract('standard', 2, ADMIN)).rejects.toThrow(/defined by the presets/);
  });

  it('refuses to retire a contract that customers or impact rules still use, naming them', async () => {
    const c = await open({ customerContracts: { acme: 'silver', globex: 'device-vendor' } });
    await c.createContract(SILVER, ADMIN);
    await expect(c.retireContract('silver', 1, ADMIN)).rejects.toThrow(/still in use: customers acme/);
    const c2 = await open();
    await c2.setImpactRules(
      {
        rules: [
          { id: 'silver-high', when: { contracts: ['silver'] }, level: 'high' },
          { id: 'rest', when: {}, level: 'low' },
        ],
        contractScales: {},
      },
      0,
      ADMIN,
    );
    await expect(c2.retireContract('silver', 1, ADMIN)).rejects.toThrow(/still in use: impact rules rule silver-high/);
    await c2.revertImpactRules(1, ADMIN);
    await c2.retireContract('silver', 1, ADMIN);
    expect(c2.entry('silver')).toBeUndefined();
    expect(c2.ids).not.toContain('silver');
    expect(c2.get('silver', 1).spec.id).toBe('silver');
    await expect(c2.retireContract('silver', 2, ADMIN)).rejects.toBeInstanceOf(CatalogueNotFoundError);
  });

  it('classifies with the table in force and names its version; rejects unknown contracts in rules', async () => {
    const c = await open();
    const input = { fault: 'jam' as const, deviceCritical: false, onlyDeviceOnSite: false, contract: 'device-vendor' };
    expect(classifyImpact(c.impactRules(), input).explanation).toMatch(/^rule stop-with-alternatives → high/);
    await expect(
      c.setImpactRules(
        {
          rules: [
            { id: 'x', when: { contracts: ['platinum'] }, level: 'low' },
            { id: 'rest', when: {}, level: 'low' },
          ],
          contractScales: {},
        },
        0,
        ADMIN,
      ),
    ).rejects.toBeInstanceOf(CatalogueInvalidError);
    await c.setImpactRules(
      { rules: [{ id: 'jam-critical', when: { faults: ['jam'] }, level: 'critical' }, ...DEFAULT_IMPACT_SETTINGS.rules], contractScales: {} },
      0,
      ADMIN,
    );
    const r = classifyImpact(c.impactRules(), input);
    expect(r).toMatchObject({ level: 'critical', ruleId: 'jam-critical' });
    expect(r.explanation).toMatch(/^rule jam-critical \(impact rules v1\) → critical/);
    await expect(c.setImpactRules(DEFAULT_IMPACT_SETTINGS, 0, ADMIN)).rejects.toThrow(/is at version 1/);
  });

  it('survives a restart and reaches another instance over the same store (refresh)', async () => {
    const told: number[] = [];
    const a = await open({ onChange: (revision) => told.push(revision) });
    const b = await open();
    await a.createContract(SILVER, ADMIN);
    expect(told).toEqual([1]);
    expect(b.ids).not.toContain('silver');
    expect(await b.refresh()).toBe(true);
    expect(b.get('silver').version).toBe(1);
    expect(await b.refresh()).toBe(false);
    // b edits based on the version it saw; a's stale edit then conflicts.
    await b.updateContract('silver', withReaction('2h'), 1, { name: 'disp', tokenId: 't2' });
    await expect(a.updateContract('silver', withReaction('3h'), 1, ADMIN)).rejects.toBeInstanceOf(CatalogueConflictError);

    await store.close();
    store = new JournaledStore({ dir: temp.path });
    await store.open();
    const restarted = await open();
    expect(restarted.get('silver')).toMatchObject({ version: 2 });
    expect(restarted.changes().map((ch) => [ch.id, ch.version, ch.action, ch.by.name])).toEqual([
      ['silver', 2, 'update', 'disp'],
      ['silver', 1, 'create', 'admin'],
    ]);
  });
});
