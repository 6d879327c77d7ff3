/**
 * Contracts and impact rules. Both come from the server configuration (server.yaml `contracts`
 * and `impact`) and the contract presets, validated once at start; the catalogue has no runtime
 * store, so the API reads them and VALIDATES proposed ones (the same schemas and compilation the
 * server applies at start), but does not change them: edit server.yaml and restart.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ImpactRule, ImpactSettings } from '../impact/impactRules.js';
import { compileContract, ContractSpec, type Contract } from '../sla/contract.js';
import { PRESET_IDS } from '../sla/presets.js';
import { ApiError } from './apiErrors.js';
import { requires } from './apiAuth.js';
import type { ApiContext } from './apiPlugin.js';
import { PageQuery, pageSchema, paginate } from './pagination.js';

const ContractView = z
  .object({
    id: z.string(),
    name: z.string(),
    source: z.string().nullable(),
    origin: z.enum(['preset', 'configured', 'configured (overrides the preset)']),
    levels: z.array(z.object({ id: z.string(), label: z.string().optional() }).loose()),
    /** The full validated specification (the shape of POST /contracts/validate's body, defaults applied). */
    spec: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Contract' });

export const catalogueRoutes: FastifyPluginAsync<{ ctx: ApiContext }> = (scope, { ctx }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  const configured = new Set(ctx.config.contracts.map((c) => c.id));
  const view = (c: Contract): z.infer<typeof ContractView> => ({
    id: c.spec.id,
    name: c.spec.name,
    source: c.spec.source ?? null,
    origin: !configured.has(c.spec.id) ? 'preset' : PRESET_IDS.includes(c.spec.id) ? 'configured (overrides the preset)' : 'configured',
    levels: c.spec.levels.map((l) => ({ ...l })),
    spec: { ...c.spec },
  });
  const contractTags = ['contracts'];

  app.get(
    '/contracts',
    { preValidation: requires('contracts:read'), schema: { tags: contractTags, summary: 'contract presets and configured contracts (read-only: edit server.yaml)', querystring: PageQuery, response: { 200: pageSchema(ContractView) } } },
    (req) => paginate([...ctx.contracts.ids].sort(), req.query, (id) => view(ctx.contracts.get(id))),
  );

  app.get(
    '/contracts/:id',
    { preValidation: requires('contracts:read'), schema: { tags: contractTags, summary: 'one contract', params: z.strictObject({ id: z.string().min(1).max(64) }), response: { 200: ContractView } } },
    (req) => {
      if (!ctx.contracts.ids.includes(req.params.id)) throw ApiError.notFound(`contract ${JSON.stringify(req.params.id)}`);
      return view(ctx.contracts.get(req.params.id));
    },
  );

  app.post(
    '/contracts/validate',
    {
      preValidation: requires('rules:validate'),
      schema: { tags: contractTags, summary: 'validate a proposed contract (as for server.yaml `contracts`): 200 with the compiled contract, or 400 naming the field', body: ContractSpec, response: { 200: z.object({ valid: z.literal(true), contract: ContractView }) } },
    },
    (req) => {
      // Schema checks passed; compiling checks the calendars (zones, holiday sets, intervals).
      const c = compileContract(req.body, 'body');
      return { valid: true as const, contract: { ...view(c), origin: 'configured' as const } };
    },
  );

  const impactTags = ['impact rules'];
  app.get(
    '/impact-rules',
    {
      preValidation: requires('impact:read'),
      schema: { tags: impactTags, summary: 'the impact classification table in the order rules are tried (first match decides)', querystring: PageQuery, response: { 200: pageSchema(ImpactRule).extend({ contractScales: z.record(z.string(), z.record(z.string(), z.string())) }) } },
    },
    (req) => ({ ...paginate(ctx.config.impact.rules, req.query), contractScales: ctx.config.impact.contractScales }),
  );

  app.post(
    '/impact-rules/validate',
    {
      preValidation: requires('rules:validate'),
      schema: { tags: impactTags, summary: 'validate a proposed impact table (as for server.yaml `impact`): 200, or 400 naming the rule and field at fault', body: ImpactSettings, response: { 200: z.object({ valid: z.literal(true), rules: z.number().int(), catchAll: z.string() }) } },
    },
    (req) => ({ valid: true as const, rules: req.body.rules.length, catchAll: req.body.rules[req.body.rules.length - 1]!.id }),
  );
  return Promise.resolve();
};
