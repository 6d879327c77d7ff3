/**
 * The fleet list reads a fixed number of store records sets per page, whatever the page size: the
 * devices (one page of the device listing, filtered or not), the agents, and the page's supply
 * forecasts in one read, never one read per row or per supply (N+1). The ticket queue reads one
 * page of the ticket listing. (The same reads on PostgreSQL: test/peers/listingPages.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_COLLECTIONS, supplyId, type SupplyTrack } from '../../../server/history/deviceHistory.js';
import { makeApiKit, type ApiKit } from './apiTestKit.js';
import { API_TOKENS } from '../../../server/auth/apiTokens.js';
import { stateMsg, statusMsg } from '../server/wireFixtures.js';

const DEVICES = 12;
let kit: ApiKit;
const reads: string[] = [];

beforeAll(async () => {
  kit = await makeApiKit();
  await kit.send(statusMsg('acme', 'a1', 'online'));
  for (let i = 0; i < DEVICES; i++)
    await kit.send(stateMsg('acme', 'a1', `p${String(i).padStart(2, '0')}`, { identity: { vendor: 'HP', model: 'M404', serial: `SN-${i}` } }));
  const repo = kit.app.server.repo;
  // A forecast on every other device's toner, so rows differ.
  await repo.transaction(async (tx) => {
    for (const track of await tx.list<SupplyTrack>(HISTORY_COLLECTIONS.supplies)) {
      const n = Number(track.deviceKey.match(/sn-(\d+)$/)![1]);
      if (n % 2 === 0)
        await tx.put(HISTORY_COLLECTIONS.supplies, supplyId(track.deviceKey, track.index), {
          ...track,
          forecast: { status: 'forecast', target: 'empty', computedAt: kit.clock.now(), at: kit.clock.now() + (n + 1) * 86_400_000 },
        });
    }
  });
  // Every read the API makes from now on, but the token check's (the verifier reads the stored tokens
  // when it meets one it has not seen; that is authentication, not the page).
  for (const method of ['get', 'getMany', 'list', 'listingPage'] as const) {
    const original = repo[method].bind(repo) as (...a: unknown[]) => Promise<unknown>;
    (repo as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      if (args[0] !== API_TOKENS) reads.push(`${method} ${String(args[0])}`);
      return original(...args);
    };
  }
}, 60_000);

afterAll(async () => kit?.close());

async function page(url: string, token?: string): Promise<{ reads: string[]; items: { key: string; forecasts: { status: string }[] }[] }> {
  reads.length = 0;
  const res = await kit.call('GET', url, token);
  expect(res.statusCode).toBe(200);
  return { reads: [...reads], items: kit.json<{ items: { key: string; forecasts: { status: string }[] }[] }>(res).items };
}

describe('fleet list: store reads per page', () => {
  it('the same reads for a page of 2 and a page of 12, staff and customer, with each row its own forecasts', async () => {
    for (const token of [undefined, kit.tokens.acme]) {
      const small = await page('/api/v1/devices?limit=2', token);
      const large = await page(`/api/v1/devices?limit=${DEVICES}`, token);
      expect(small.items).toHaveLength(2);
      expect(large.items).toHaveLength(DEVICES);
      expect(large.reads).toEqual(small.reads);
      expect(large.reads.filter((r) => r === `getMany ${HISTORY_COLLECTIONS.supplies}`)).toHaveLength(1);
      expect(large.reads.filter((r) => r.startsWith('get '))).toEqual([]);
      // Row by row as the single-device route (its own read) says.
      for (const row of large.items) {
        const one = kit.json<{ forecasts: unknown[] }>(await kit.call('GET', `/api/v1/devices/${encodeURIComponent(row.key)}`));
        expect(row.forecasts).toEqual(one.forecasts);
        expect(row.forecasts.map((f) => f.status === 'forecast')).toEqual([Number(row.key.match(/sn-(\d+)$/)![1]) % 2 === 0]);
      }
    }
  });

  it('every fleet list, filtered or not, reads one page of the device listing and never the whole collection', async () => {
    const unfiltered = await page('/api/v1/devices?limit=5&offset=3');
    expect(unfiltered.reads.filter((r) => r.includes('devices'))).toEqual(['listingPage devices']);
    for (const filter of ['customer=acme', 'q=sn-1', 'status=idle', 'site=acme%2Fa1']) {
      const filtered = await page(`/api/v1/devices?limit=5&offset=3&${filter}`);
      expect(filtered.reads.filter((r) => r.includes('devices'))).toEqual(['listingPage devices']);
    }
    const customer = await page('/api/v1/devices?limit=5&offset=3', kit.tokens.acme);
    expect(customer.reads.filter((r) => r.includes('devices'))).toEqual(['listingPage devices']);
    expect(customer.items).toEqual(unfiltered.items);
  });

  it('the ticket queue reads one page of the ticket listing, for staff and for a customer', async () => {
    for (const [url, token] of [
      ['/api/v1/tickets?limit=5', undefined],
      ['/api/v1/tickets?limit=5&impact=high,critical&customer=acme', undefined],
      ['/api/v1/tickets?limit=5', kit.tokens.acme],
    ] as const) {
      reads.length = 0;
      expect((await kit.call('GET', url, token)).statusCode).toBe(200);
      expect(reads.filter((r) => r.includes('tickets'))).toEqual(['listingPage tickets']);
    }
  });
});
