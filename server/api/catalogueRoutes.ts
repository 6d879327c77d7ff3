/**
 * Contracts and impact rules: read, validate, and change them live (server/catalogue).
 *
 * Presets and server.yaml give the defaults; an admin creates, updates and deletes contracts and
 * replaces the impact table through the API, with the same schemas and compilation the server
 * applies to server.yaml (errors name the field). Every change is a new stored version with who
 * and when; `If-Match: "<version>"` is required on changes (409 when another change came first,
 * 428 without it). Changes apply to the next ticket and classification at once; tickets already
 * open keep the contract version they were opened under.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ChangeAuthor } from '../catalogue/catalogueRecords.js';
import { CatalogueInvalidError, type CatalogueChange, type ContractEntry, type ImpactEntry } from '../catalogue/liveCatalogue.js';
import { customerFixableFaults, ImpactRule, ImpactSettings } from '../impact/impactRules.js';
import { FaultCodeSchema } from '../../shared/faults.js';
import { compileContract, ContractSpec, type Contract } from '../sla/contract.js';
import { PRESET_IDS } from '../sla/presets.js';
import { ApiError, ApiErrorBody } from './apiErrors.js';
import { principalOf, requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { allOf, PageQuery, pageSchema, paginate, paginateWhere } from './pagination.js';

const Author = z.object({ name: z.string(), tokenId: z.string() }).meta({ id: 'ChangeAuthor' });

const ContractView = z
  .object({
    id: z.string(),
    name: z.string(),
    source: z.string().nullable(),
    /** Where the terms in force come from. */
    origin: z.enum(['preset', 'configured', 'configured (overrides the preset)', 'api']),
    /** For API contracts: the preset/server.yaml definition a deletion reverts to (null: none, deletion retires it). */
    overrides: z.enum(['preset', 'configured']).nullable(),
    /** Number of API changes to this id: send it back in If-Match. 0 = never changed through the API. */
    version: z.number().int(),
    /** Version of the terms new tickets record (0 = the preset/server.yaml definition). */
    termsVersion: z.number().int(),
    updatedAt: z.string().nullable(),
    updatedBy: Author.nullable(),
    levels: z.array(z.object({ id: z.string(), label: z.string().optional() }).loose()),
    /** The full validated specification (the shape of POST /contracts's body, defaults applied). */
    spec: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Contract' });
type ContractView = z.infer<typeof ContractView>;

const ContractVersion = z
  .object({
    contractId: z.string(),
    version: z.number().int(),
    action: z.enum(['create', 'update', 'retire']),
    at: z.string(),
    by: Author,
    /** Top-level keys of the spec that this version changed. */
    changed: z.array(z.string()),
    /** The terms of this version; null for a deletion (the default applied again, or none). */
    spec: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'ContractVersion' });

const ImpactVersion = z
  .object({
    version: z.number().int(),
    action: z.enum(['update', 'revert']),
    at: z.string(),
    by: Author,
    changed: z.array(z.string()),
    rules: z.number().int().describe("rules in the table of this version (server.yaml's after a revert)"),
  })
  .meta({ id: 'ImpactRulesVersion' });

const ImpactTableView = z
  .object({
    version: z.number().int(),
    origin: z.enum(['configured', 'api']),
    updatedAt: z.string().nullable(),
    updatedBy: Author.nullable(),
    rules: z.array(ImpactRule),
    contractScales: z.record(z.string(), z.record(z.string(), z.string())),
    /** Fault codes the customer fixes first (vendor ticket after the contract's customerFixable time). */
    customerFixable: z.array(FaultCodeSchema),
  })
  .meta({ id: 'ImpactRules' });

const Change = z
  .object({
    kind: z.enum(['contract', 'impactRules']),
    id: z.string(),
    version: z.number().int(),
    action: z.enum(['create', 'update', 'retire', 'revert']),
    at: z.string(),
    by: Author,
    changed: z.array(z.string()),
  })
  .meta({ id: 'CatalogueChange' });

const ContractIdParam = z.strictObject({ id: z.string().min(1).max(64) });
const IfMatch = z
  .object({ 'if-match': z.string().max(40).optional().describe('"<version>" from the ETag or `version` of the current state; required') })
  .loose();
const preconditionErrors = { 428: ApiErrorBody };

/** The version an edit is based on, from If-Match ("3", 3 or W/"3"). */
function expectedVersion(req: FastifyRequest): number {
  const raw = req.headers['if-match'];
  if (raw === undefined || raw === '') {
    throw new ApiError(
      428,
      'PRECONDITION_REQUIRED',
      'changes need If-Match: "<version>" (the `version` of the current state, also in its ETag), so that a concurrent change is not overwritten',
      'headers.if-match',
    );
  }
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(String(raw).trim());
  if (!m)
    throw new ApiError(
      400,
      'VALIDATION_FAILED',
      `headers.if-match: expected "<version>" (a whole number in quotes), found ${JSON.stringify(raw)}`,
      'headers.if-match',
    );
  return Number(m[1]);
}

function authorOf(req: FastifyRequest): ChangeAuthor {
  const p = principalOf(req);
  return { name: p.name, tokenId: p.tokenId };
}

function etag(reply: FastifyReply, version: number): void {
  void reply.header('etag', `"${version}"`);
}

export const catalogueRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const catalogue = ctx.contracts;

  const view = (e: ContractEntry): ContractView => {
    const c = e.contract;
    const origin: ContractView['origin'] = e.origin === 'configured' && PRESET_IDS.includes(c.spec.id) ? 'configured (overrides the preset)' : e.origin;
    return {
      id: c.spec.id,
      name: c.spec.name,
      source: c.spec.source ?? null,
      origin,
      overrides: e.origin === 'api' ? e.defaultOrigin : null,
      version: e.version,
      termsVersion: c.version ?? 0,
      updatedAt: e.updatedAt,
      updatedBy: e.updatedBy,
      levels: c.spec.levels.map((l) => ({ ...l })),
      spec: { ...c.spec },
    };
  };
  const entryOr404 = (id: string): ContractEntry => {
    const e = catalogue.entry(id);
    if (!e) throw ApiError.notFound(`contract ${JSON.stringify(id)}`);
    return e;
  };
  const contractTags = ['contracts'];

  app.get(
    '/contracts',
    {
      preValidation: requires('contracts:read'),
      schema: {
        tags: contractTags,
        summary: 'contracts in force: presets, server.yaml and API-made ones (`origin`)',
        querystring: PageQuery,
        response: { 200: pageSchema(ContractView) },
      },
    },
    (req) => paginate([...catalogue.ids].sort(), req.query, (id) => view(entryOr404(id))),
  );

  app.get(
    '/contracts/:id',
    {
      preValidation: requires('contracts:read'),
      schema: { tags: contractTags, summary: 'one contract (ETag: its version)', params: ContractIdParam, response: { 200: ContractView } },
    },
    (req, reply) => {
      const e = entryOr404(req.params.id);
      etag(reply, e.version);
      return view(e);
    },
  );

  app.post(
    '/contracts',
    {
      preValidation: requires('catalogue:edit'),
      schema: {
        tags: contractTags,
        summary: 'create a contract (server.yaml `contracts[]` shape); applies to new tickets at once',
        body: ContractSpec,
        response: { 201: ContractView },
      },
    },
    async (req, reply) => {
      const e = await catalogue.createContract(req.body, authorOf(req));
      etag(reply, e.version);
      return reply
        .code(201)
        .header('location', `/api/v1/contracts/${encodeURIComponent(e.contract.spec.id)}`)
        .send(view(e));
    },
  );

  app.put(
    '/contracts/:id',
    {
      preValidation: requires('catalogue:edit'),
      schema: {
        tags: contractTags,
        summary: "replace a contract's terms (a preset/server.yaml one gets an API override); If-Match required; open tickets keep their terms",
        params: ContractIdParam,
        headers: IfMatch,
        body: ContractSpec,
        response: { 200: ContractView, ...preconditionErrors },
      },
    },
    async (req, reply) => {
      const e = await catalogue.updateContract(req.params.id, req.body, expectedVersion(req), authorOf(req));
      etag(reply, e.version);
      return view(e);
    },
  );

  app.delete(
    '/contracts/:id',
    {
      preValidation: requires('catalogue:edit'),
      schema: {
        tags: contractTags,
        summary: 'delete an API-made contract: reverts to the preset/server.yaml definition, or retires it (409 naming what still uses it); If-Match required',
        params: ContractIdParam,
        headers: IfMatch,
        response: { 200: z.object({ id: z.string(), retired: z.boolean(), revertedTo: ContractView.nullable() }), ...preconditionErrors },
      },
    },
    async (req) => {
      const r = await catalogue.retireContract(req.params.id, expectedVersion(req), authorOf(req));
      return { id: req.params.id, retired: r.revertedTo === null, revertedTo: r.revertedTo ? view(r.revertedTo) : null };
    },
  );

  app.get(
    '/contracts/:id/versions',
    {
      preValidation: requires('contracts:read'),
      schema: {
        tags: contractTags,
        summary: 'API versions of a contract, newest first (who, when, what changed, the terms)',
        params: ContractIdParam,
        querystring: PageQuery,
        response: { 200: pageSchema(ContractVersion) },
      },
    },
    (req) => {
      if (!catalogue.known(req.params.id)) throw ApiError.notFound(`contract ${JSON.stringify(req.params.id)}`);
      return paginate([...catalogue.versions(req.params.id)].reverse(), req.query, (r) => ({ ...r, spec: r.spec ? { ...r.spec } : null }));
    },
  );

  app.get(
    '/contracts/:id/versions/:version',
    {
      preValidation: requires('contracts:read'),
      schema: {
        tags: contractTags,
        summary: 'the terms of one version (what a ticket with `sla.contractVersion` runs under; 0 = the preset/server.yaml definition)',
        params: z.strictObject({ id: z.string().min(1).max(64), version: z.coerce.number().int().min(0).max(1e9) }),
        response: { 200: z.object({ contractId: z.string(), version: z.number().int(), spec: z.record(z.string(), z.unknown()) }) },
      },
    },
    (req) => {
      let c: Contract;
      try {
        c = catalogue.get(req.params.id, req.params.version);
      } catch {
        throw ApiError.notFound(`version ${req.params.version} of contract ${JSON.stringify(req.params.id)}`);
      }
      return { contractId: req.params.id, version: req.params.version, spec: { ...c.spec } };
    },
  );

  app.post(
    '/contracts/validate',
    {
      preValidation: requires('rules:validate'),
      schema: {
        tags: contractTags,
        summary: 'validate a proposed contract (as for server.yaml `contracts`): 200 with the compiled contract, or 400 naming the field',
        body: ContractSpec,
        response: { 200: z.object({ valid: z.literal(true), contract: ContractView }) },
      },
    },
    (req) => {
      // Schema checks passed; compiling checks the calendars (zones, holiday sets, intervals).
      const c = compileContract(req.body, 'body');
      const e: ContractEntry = { contract: c, version: 0, origin: 'configured', defaultOrigin: null, updatedAt: null, updatedBy: null };
      return { valid: true as const, contract: { ...view(e), origin: 'configured' as const } };
    },
  );

  const impactTags = ['impact rules'];
  const tableView = (e: ImpactEntry) => ({
    version: e.version,
    origin: e.origin,
    updatedAt: e.updatedAt,
    updatedBy: e.updatedBy,
    rules: e.table.rules,
    contractScales: e.table.contractScales,
    customerFixable: [...customerFixableFaults(e.table)],
  });

  app.get(
    '/impact-rules',
    {
      preValidation: requires('impact:read'),
      schema: {
        tags: impactTags,
        summary: 'the impact classification table in force, in the order rules are tried (first match decides); ETag: its version',
        querystring: PageQuery,
        response: {
          200: pageSchema(ImpactRule).extend({
            contractScales: z.record(z.string(), z.record(z.string(), z.string())),
            version: z.number().int(),
            origin: z.enum(['configured', 'api']),
            updatedAt: z.string().nullable(),
            updatedBy: Author.nullable(),
          }),
        },
      },
    },
    (req, reply) => {
      const e = catalogue.impactEntry();
      etag(reply, e.version);
      return {
        ...paginate(e.table.rules, req.query),
        contractScales: e.table.contractScales,
        version: e.version,
        origin: e.origin,
        updatedAt: e.updatedAt,
        updatedBy: e.updatedBy,
      };
    },
  );

  app.put(
    '/impact-rules',
    {
      preValidation: requires('catalogue:edit'),
      schema: {
        tags: impactTags,
        summary:
          'replace the impact table (server.yaml `impact` shape): every rule well-formed, known fault codes and contracts, a final catch-all; If-Match required; applies to the next classification',
        headers: IfMatch,
        body: ImpactSettings,
        response: { 200: ImpactTableView, ...preconditionErrors },
      },
    },
    async (req, reply) => {
      const e = await catalogue.setImpactRules(req.body, expectedVersion(req), authorOf(req));
      etag(reply, e.version);
      return tableView(e);
    },
  );

  app.delete(
    '/impact-rules',
    {
      preValidation: requires('catalogue:edit'),
      schema: {
        tags: impactTags,
        summary: 'back to the table of server.yaml (recorded as a version); If-Match required',
        headers: IfMatch,
        response: { 200: ImpactTableView, ...preconditionErrors },
      },
    },
    async (req, reply) => {
      const e = await catalogue.revertImpactRules(expectedVersion(req), authorOf(req));
      etag(reply, e.version);
      return tableView(e);
    },
  );

  app.get(
    '/impact-rules/versions',
    {
      preValidation: requires('impact:read'),
      schema: {
        tags: impactTags,
        summary: 'API versions of the impact table, newest first',
        querystring: PageQuery,
        response: { 200: pageSchema(ImpactVersion) },
      },
    },
    (req) =>
      paginate([...catalogue.impactVersions()].reverse(), req.query, (r) => ({
        version: r.version,
        action: r.action,
        at: r.at,
        by: r.by,
        changed: r.changed,
        rules: (r.settings ?? catalogue.impactVersion(0)!).rules.length,
      })),
  );

  app.get(
    '/impact-rules/versions/:version',
    {
      preValidation: requires('impact:read'),
      schema: {
        tags: impactTags,
        summary: 'the table of one version (tickets name it in `impactRule`: "rule X (impact rules vN) → level"; 0 = server.yaml)',
        params: z.strictObject({ version: z.coerce.number().int().min(0).max(1e9) }),
        response: {
          200: z.object({
            version: z.number().int(),
            rules: z.array(ImpactRule),
            contractScales: z.record(z.string(), z.record(z.string(), z.string())),
            customerFixable: z.array(FaultCodeSchema),
          }),
        },
      },
    },
    (req) => {
      const t = catalogue.impactVersion(req.params.version);
      if (!t) throw ApiError.notFound(`version ${req.params.version} of the impact rules`);
      return { version: req.params.version, rules: t.rules, contractScales: t.contractScales, customerFixable: [...customerFixableFaults(t)] };
    },
  );

  app.post(
    '/impact-rules/validate',
    {
      preValidation: requires('rules:validate'),
      schema: {
        tags: impactTags,
        summary: 'validate a proposed impact table (as for server.yaml `impact`): 200, or 400 naming the rule and field at fault',
        body: ImpactSettings,
        response: { 200: z.object({ valid: z.literal(true), rules: z.number().int(), catchAll: z.string() }) },
      },
    },
    (req) => {
      const problems = catalogue.impactProblems(req.body);
      if (problems.length > 0) throw new CatalogueInvalidError(problems);
      return { valid: true as const, rules: req.body.rules.length, catchAll: req.body.rules[req.body.rules.length - 1]!.id };
    },
  );

  app.get(
    '/catalogue/changes',
    {
      preValidation: requires('catalogue:history'),
      schema: {
        tags: contractTags,
        summary: 'audit trail of contract and impact-rule changes made through the API, newest first (who, when, what)',
        querystring: PageQuery.extend({
          kind: z.enum(['contract', 'impactRules']).optional(),
          id: z.string().min(1).max(64).optional(),
          by: z.string().min(1).max(128).optional(),
        }),
        response: { 200: pageSchema(Change) },
      },
    },
    (req) => {
      const { kind, id, by } = req.query;
      const checks: Array<(c: CatalogueChange) => boolean> = [];
      if (kind) checks.push((c) => c.kind === kind);
      if (id) checks.push((c) => c.id === id);
      if (by) checks.push((c) => c.by.name === by || c.by.tokenId === by);
      const keep = allOf(checks);
      return paginateWhere(catalogue.changes(), keep, req.query, (c) => c);
    },
  );
  return Promise.resolve();
};
