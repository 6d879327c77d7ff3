/**
 * Impact classification: fault × device attributes × contract → business impact
 * (critical | high | medium | low, support-contracts §1) and a routing queue.
 *
 * PURE and data-driven. The rule table is configuration (server.yaml `impact.rules`, or a
 * version edited through the API: server/catalogue), validated by `ImpactSettings`; rules are tried in order and the first whose conditions all hold decides.
 * The table must end with a catch-all rule, so every classification names the rule that fired
 * (tickets store `ruleId` and the explanation). Routing is the contract's (`queues`: its ink/print-head
 * line, its connectivity line, its default; server/sla/contract.ts `queueFor`), unless a rule
 * names a queue explicitly: only then does the result carry `queue`.
 *
 * Contracts with their own priority scale (e.g. the five-level scheme of §2) map each impact
 * level to their scale in `impact.contractScales`; the result then carries `contractPriority`.
 *
 * Customer-fixable faults (`impact.customerFixable`: door open, paper out, tray missing, output
 * tray full) are ones the customer's own staff clear on site: the result says so, and the ticket
 * rules tell the customer first and open a vendor ticket only if the fault outlasts the contract's
 * `customerFixable.vendorTicketAfter` (server/tickets/customerFixable.ts).
 */
import { z } from 'zod';
import { FAULT_CODES, FAULTS, FaultCategory, FaultCodeSchema, FaultSeverity, type FaultCode } from '../../shared/faults.js';

const FAULT_CODE_COUNT = FAULT_CODES.length;

export const IMPACT_LEVELS = ['critical', 'high', 'medium', 'low'] as const;
export const ImpactLevel = z.enum(IMPACT_LEVELS);
export type ImpactLevel = z.infer<typeof ImpactLevel>;

export const QUEUES = ['ink-head', 'general'] as const;
export const Queue = z.enum(QUEUES);
export type Queue = z.infer<typeof Queue>;

const RuleId = z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'a rule id of a-z 0-9 . - (e.g. "stop-single-device")');

/** Conditions of one rule; all given conditions must hold, an absent one matches anything. */
export const ImpactConditions = z.strictObject({
  faults: z.array(FaultCodeSchema).min(1).optional(),
  categories: z.array(FaultCategory).min(1).optional(),
  severities: z.array(FaultSeverity).min(1).optional(),
  stopsPrinting: z.boolean().optional(),
  inkOrHead: z.boolean().optional(),
  /** The device is flagged business-critical in the fleet config. */
  deviceCritical: z.boolean().optional(),
  /** The device is the only one known at its site (no other device to print on). */
  onlyDeviceOnSite: z.boolean().optional(),
  /** The customer's contract id is one of these ("none" = customer without contract). */
  contracts: z.array(z.string().min(1).max(64)).min(1).optional(),
});
export type ImpactConditions = z.infer<typeof ImpactConditions>;

export const ImpactRule = z.strictObject({
  id: RuleId,
  /** Why the rule exists, shown in explanations. */
  description: z.string().max(500).optional(),
  when: ImpactConditions.default({}),
  level: ImpactLevel,
  queue: Queue.optional(),
});
export type ImpactRule = z.infer<typeof ImpactRule>;

/** The default table (support-contracts §1 and issue 6): edit it in server.yaml, not here. */
export const DEFAULT_IMPACT_RULES: ImpactRule[] = [
  {
    id: 'device-down',
    description: 'device or its monitoring is gone: nothing can be printed there',
    when: { faults: ['offline', 'device.unreachable', 'agent.offline'] },
    level: 'critical',
  },
  {
    id: 'hardware-stop',
    description: 'a failed unit needs a technician (fuser, print head, ink system, hardware)',
    when: { faults: ['fuser.fault', 'hardware.fault', 'printhead.fault', 'inkSystem.fault'] },
    level: 'critical',
  },
  {
    id: 'stop-single-device',
    description: 'a stop-level fault (jam, door open, toner/ink empty…) on the only device of the site',
    when: { stopsPrinting: true, onlyDeviceOnSite: true },
    level: 'critical',
  },
  {
    id: 'stop-critical-device',
    description: 'a stop-level fault on a device flagged business-critical',
    when: { stopsPrinting: true, deviceCritical: true },
    level: 'critical',
  },
  {
    id: 'stop-with-alternatives',
    description: 'printing stopped on this device but others on the site can take the work',
    when: { stopsPrinting: true },
    level: 'high',
  },
  {
    id: 'function-lost',
    description: 'a function is lost but printing goes on (scanner, service request, missing part)',
    when: { severities: ['critical'] },
    level: 'medium',
  },
  {
    id: 'degraded',
    description: 'a degraded function: paused, spool full, scanner fault',
    when: { faults: ['paused', 'spool.full', 'scanner.fault', 'staples.empty'] },
    level: 'medium',
  },
  {
    id: 'warning',
    description: 'no loss of function yet: toner low, maintenance due and other warnings',
    level: 'low',
    when: {},
  },
];

/** Faults the customer's staff fix on site, by default: a door left open, paper out or its tray out, a full output tray. */
export const DEFAULT_CUSTOMER_FIXABLE: readonly FaultCode[] = ['door.open', 'paper.empty', 'input.trayMissing', 'output.full'];

const ContractScale = z.strictObject({
  critical: z.string().min(1).max(32),
  high: z.string().min(1).max(32),
  medium: z.string().min(1).max(32),
  low: z.string().min(1).max(32),
});

export const ImpactSettings = z
  .strictObject({
    /** Absent: DEFAULT_IMPACT_RULES (so server.yaml may set only `contractScales` or `customerFixable`). */
    rules: z.array(ImpactRule).min(1).max(500).default(DEFAULT_IMPACT_RULES),
    contractScales: z.record(z.string().min(1).max(64), ContractScale).default({}),
    /**
     * Fault codes the customer fixes on site (customer first, vendor ticket after the contract's time).
     * Absent: DEFAULT_CUSTOMER_FIXABLE; `[]`: none (every fault opens its ticket at once).
     */
    customerFixable: z.array(FaultCodeSchema).max(FAULT_CODE_COUNT).optional(),
  })
  .superRefine((settings, ctx) => {
    const seen = new Set<string>();
    settings.rules.forEach((rule, i) => {
      if (seen.has(rule.id))
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id ${JSON.stringify(rule.id)}`, input: rule.id });
      seen.add(rule.id);
    });
    const fixable = settings.customerFixable ?? [];
    fixable.forEach((code, i) => {
      if (fixable.indexOf(code) !== i)
        ctx.addIssue({ code: 'custom', path: ['customerFixable', i], message: `fault code ${JSON.stringify(code)} listed twice`, input: code });
    });
    const last = settings.rules[settings.rules.length - 1];
    if (last && Object.keys(last.when).length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['rules', settings.rules.length - 1, 'when'],
        message: `the last rule (${JSON.stringify(last.id)}) must be a catch-all without conditions, so that every fault is classified by a named rule`,
        input: last.when,
      });
    }
    settings.rules.forEach((rule, i) => {
      if (i < settings.rules.length - 1 && Object.keys(rule.when).length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'when'],
          message: `rule ${JSON.stringify(rule.id)} has no conditions, so the rules after it can never fire`,
          input: rule.when,
        });
      }
    });
  });
export type ImpactSettings = z.infer<typeof ImpactSettings>;

export const DEFAULT_IMPACT_SETTINGS: ImpactSettings = { rules: DEFAULT_IMPACT_RULES, contractScales: {} };

export interface ImpactInput {
  readonly fault: FaultCode;
  readonly deviceCritical: boolean;
  readonly onlyDeviceOnSite: boolean;
  /** The customer's contract id, or undefined when the customer has none. */
  readonly contract: string | undefined;
}

export interface ImpactResult {
  readonly level: ImpactLevel;
  /** Set only by a rule that names a queue; otherwise the contract's queues route the ticket. */
  readonly queue?: Queue;
  readonly ruleId: string;
  /** One sentence: which rule fired and on what facts. */
  readonly explanation: string;
  /** The level on the contract's own scale, when the contract defines one. */
  readonly contractPriority?: string;
  /** Set (true) when the fault is in the table's customer-fixable list. */
  readonly customerFixable?: true;
}

/** The customer-fixable fault codes of a table (absent list: the defaults). */
export function customerFixableFaults(settings: Pick<ImpactSettings, 'customerFixable'>): readonly FaultCode[] {
  return settings.customerFixable ?? DEFAULT_CUSTOMER_FIXABLE;
}

export function ruleMatches(when: ImpactConditions, input: ImpactInput): boolean {
  const def = FAULTS[input.fault];
  if (when.faults && !when.faults.includes(input.fault)) return false;
  if (when.categories && !when.categories.includes(def.category)) return false;
  if (when.severities && !when.severities.includes(def.severity)) return false;
  if (when.stopsPrinting !== undefined && when.stopsPrinting !== def.stopsPrinting) return false;
  if (when.inkOrHead !== undefined && when.inkOrHead !== def.inkOrHead) return false;
  if (when.deviceCritical !== undefined && when.deviceCritical !== input.deviceCritical) return false;
  if (when.onlyDeviceOnSite !== undefined && when.onlyDeviceOnSite !== input.onlyDeviceOnSite) return false;
  if (when.contracts && !when.contracts.includes(input.contract ?? 'none')) return false;
  return true;
}

function describeFacts(input: ImpactInput): string {
  const def = FAULTS[input.fault];
  const facts = [
    `fault ${input.fault} (${def.severity}, ${def.category}${def.stopsPrinting ? ', stops printing' : ''}${def.inkOrHead ? ', ink/head' : ''})`,
    input.deviceCritical ? 'device flagged critical' : undefined,
    input.onlyDeviceOnSite ? 'only device on its site' : undefined,
    `contract ${input.contract ?? 'none'}`,
  ];
  return facts.filter((f) => f !== undefined).join(', ');
}

/**
 * A rule table in force: server.yaml's (version 0) or one edited through the API (1, 2, …).
 * The version goes into every explanation, so a ticket names the exact table its rule came from.
 */
export type ImpactTable = ImpactSettings & { readonly version?: number };

export function classifyImpact(settings: ImpactTable, input: ImpactInput): ImpactResult {
  const rule = settings.rules.find((r) => ruleMatches(r.when, input));
  // Validation guarantees a final catch-all; this guard only protects hand-built settings.
  if (!rule) throw new Error(`no impact rule matches ${describeFacts(input)}: the rule table must end with a catch-all rule`);
  const scale = input.contract !== undefined ? settings.contractScales[input.contract] : undefined;
  return {
    level: rule.level,
    ...(rule.queue !== undefined ? { queue: rule.queue } : {}),
    ruleId: rule.id,
    explanation: `rule ${rule.id}${settings.version ? ` (impact rules v${settings.version})` : ''} → ${rule.level}: ${describeFacts(input)}`,
    ...(scale ? { contractPriority: scale[rule.level] } : {}),
    ...(customerFixableFaults(settings).includes(input.fault) ? { customerFixable: true as const } : {}),
  };
}
