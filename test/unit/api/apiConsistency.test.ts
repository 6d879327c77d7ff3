/**
 * API-wide rules checked over the OpenAPI document, so a route added later is held to them too:
 * every list is paginated (limit/offset in, items/total/nextOffset out) and no response is a bare
 * array; every operation documents the one error body and needs a bearer token. Plus the error
 * body for failures that never reach a route (unknown route, bad JSON, wrong content type,
 * oversized body).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApiKit, type ApiKit } from './apiTestKit.js';

interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
}
interface Operation {
  parameters?: Array<{ in: string; name: string }>;
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  security?: unknown[];
}
interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
  security?: unknown[];
}

let kit: ApiKit;
let doc: OpenApiDoc;

beforeAll(async () => {
  kit = await makeApiKit();
  doc = kit.json<OpenApiDoc>(await kit.app.server.http.inject({ method: 'GET', url: '/docs/json' }));
});
afterAll(async () => {
  await kit.close();
});

function resolveRef(s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.split('/').pop()!;
  return doc.components?.schemas?.[name] ?? s;
}

function operations(): Array<{ key: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => ({ key: `${m.toUpperCase()} ${path}`, op })));
}

describe('API-wide consistency (over the OpenAPI document)', () => {
  it('paginates every list and never answers with a bare array', () => {
    const problems: string[] = [];
    let lists = 0;
    for (const { key, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!status.startsWith('2')) continue;
        const json = response.content?.['application/json']?.schema;
        if (!json) continue;
        const schema = resolveRef(json);
        const types = ([] as string[]).concat(schema.type ?? []);
        if (types.includes('array')) problems.push(`${key} ${status}: a bare array (wrap it in a page)`);
        const items = schema.properties?.items;
        if (items && ([] as string[]).concat(resolveRef(items).type ?? []).includes('array')) {
          lists += 1;
          const query = new Set((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name));
          for (const q of ['limit', 'offset']) if (!query.has(q)) problems.push(`${key}: a list without the ${q} parameter`);
          for (const f of ['total', 'limit', 'offset', 'nextOffset']) if (!schema.properties?.[f]) problems.push(`${key} ${status}: a list without ${f}`);
        }
      }
    }
    expect(lists).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });

  it('documents the one error body on every operation and needs a bearer token', () => {
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    const problems: string[] = [];
    for (const { key, op } of operations()) {
      if (op.security !== undefined && op.security.length === 0) problems.push(`${key}: no security`);
      for (const status of ['400', '401', '403', '404']) {
        // Any media type: a CSV route's errors are documented under text/csv (its `produces`), though sent as JSON.
        const content = op.responses[status]?.content ?? {};
        const schema = (content['application/json'] ?? Object.values(content)[0])?.schema;
        if (!schema || resolveRef(schema).properties?.code === undefined) problems.push(`${key}: ${status} not documented with the error body`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the error body where no route handler runs', () => {
  const expectError = (res: { statusCode: number; body: string }, status: number, code: string, field?: string) => {
    expect(res.statusCode, res.body).toBe(status);
    const body = JSON.parse(res.body) as { statusCode: number; code: string; message: string; field?: string };
    expect(body).toMatchObject({ statusCode: status, code, ...(field ? { field } : {}) });
    expect(body.message.length).toBeGreaterThan(5);
  };

  it('unknown routes and methods: 404 NOT_FOUND', async () => {
    expectError(await kit.call('GET', '/api/v1/no-such-thing'), 404, 'NOT_FOUND');
    expectError(await kit.call('PUT', '/api/v1/tickets'), 404, 'NOT_FOUND');
  });

  it('malformed JSON, a wrong content type and an oversized body: 4xx naming the body', async () => {
    expectError(
      await kit.call('POST', '/api/v1/contracts/validate', kit.tokens.admin, '{"id": ', { 'content-type': 'application/json' }),
      400,
      'VALIDATION_FAILED',
      'body',
    );
    expectError(
      await kit.call('POST', '/api/v1/contracts/validate', kit.tokens.admin, 'id=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'VALIDATION_FAILED',
      'body',
    );
    expectError(
      await kit.call('POST', '/api/v1/contracts/validate', kit.tokens.admin, JSON.stringify({ id: 'x'.repeat(1_100_000) }), {
        'content-type': 'application/json',
      }),
      413,
      'PAYLOAD_TOO_LARGE',
      'body',
    );
  });

  it('a query parameter no route knows: 400 naming it', async () => {
    for (const url of [
      '/api/v1/contracts?colour=red',
      '/api/v1/api-tokens?colour=red',
      '/api/v1/catalogue/changes?colour=red',
      '/api/v1/impact-rules/versions?colour=red',
    ]) {
      expectError(await kit.call('GET', url), 400, 'VALIDATION_FAILED', 'querystring.colour');
    }
  });
});
