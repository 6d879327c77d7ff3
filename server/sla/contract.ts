/**
 * Support contracts as data: what a customer is promised.
 *
 * A contract names a working-time calendar, its own scale of levels with reaction (and
 * optionally resolution) targets, how the fleet's impact (critical/high/medium/low) maps onto
 * that scale, coverage rules that give some levels another calendar (STANDARD: critical reports
 * on days off; PREMIUM: 24/7), which report channels carry the guarantee, a monthly cap of
 * guaranteed time, included hours with billing rules, an on-site arrival target, the queues,
 * the waiting-for-customer closure rule, and how long a customer-fixable fault stays the
 * customer's. Every rule of docs support-contracts.md is a field here; presets.ts fills them in
 * for each scheme of that document.
 *
 * Durations: working-time targets are "30m", "2h" or "2d" (days = working days of the calendar's
 * day length, §1/§2). Wall-clock durations (waiting for the customer) use "14d" = 14 × 24 h.
 */
import { z } from 'zod';
import { CalendarSpec, compileCalendar, HOUR_MS, MINUTE_MS, type BusinessCalendar } from './businessCalendar.js';
import { toProblems } from '../../shared/validation.js';

/** Business impact of a fault, as the fleet classification sets it (support-contracts §1). */
export const Impact = z.enum(['critical', 'high', 'medium', 'low']);
export type Impact = z.infer<typeof Impact>;
export const IMPACT_RANK: Readonly<Record<Impact, number>> = { critical: 0, high: 1, medium: 2, low: 3 };

/** How a report reached the desk. `monitoring` = opened automatically from fleet events (a written report). */
export const ReportChannel = z.enum(['monitoring', 'email', 'form', 'portal', 'phone', 'callback', 'chat']);
export type ReportChannel = z.infer<typeof ReportChannel>;

/** How work was done (time entries). */
export const WorkChannel = z.enum(['remote', 'phone', 'email', 'onsite', 'chat']);
export type WorkChannel = z.infer<typeof WorkChannel>;

export const Tier = z.enum(['L1', 'L2', 'L3']);

/**
 * What a report is about, for the monthly cap (seed 003): `bug` = a defect of the product or device
 * (the vendor's to fix); `support` = questions, configuration, help. Unclassified reports are support.
 */
export const Matter = z.enum(['bug', 'support']);
export type Matter = z.infer<typeof Matter>;
export type Tier = z.infer<typeof Tier>;

const ContractId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, '1-64 characters a-z 0-9 . _ - starting with a letter or digit');

/** Working-time target: "90m", "2h", "2d" (working days of the calendar's day length). */
export const WorkingTarget = z.string().regex(/^\d+(\.\d+)?(m|h|d)$/, 'a working-time target such as "30m", "2h" or "2d"');
/** Wall-clock duration: "30m", "12h", "14d" (d = 24 h). */
export const WallDuration = z.string().regex(/^\d+(\.\d+)?(m|h|d)$/, 'a duration such as "30m", "12h" or "14d"');

const Level = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'a short level id such as "critical" or "sev1"'),
  label: z.string().min(1).max(200),
  /** Time to first response ("start handling"); null = no guaranteed reaction. */
  reaction: WorkingTarget.nullable(),
  /** Time to resolution where the contract promises one. */
  resolution: WorkingTarget.nullable().default(null),
});

const Coverage = z.strictObject({
  description: z.string().max(500),
  /** The rule applies to reports of these impacts … */
  impacts: z.array(Impact).default([]),
  /** … or of these levels of the contract's scale. */
  levels: z.array(z.string()).default([]),
  /** The calendar their clocks use instead of the contract's. */
  calendar: CalendarSpec,
});

/**
 * How an on-site arrival target is counted, a contract term:
 * - `workingTime`: in the contract calendar's working hours (4 h / 8 h);
 * - `nextBusinessDay`: every started 24 h of the target is one business day of the calendar, so
 *   "24 h" means the same working-clock time on the next business day (a request at 15:00 on the
 *   Thursday before 1 May is due at 15:00 on Monday 4 May, never on a holiday or a weekend);
 * - `wallClock`: around the clock in the calendar's zone, holidays included.
 */
export const OnSiteCounting = z.enum(['workingTime', 'nextBusinessDay', 'wallClock']);
export type OnSiteCounting = z.infer<typeof OnSiteCounting>;

/** `clock: working|wall` is how contracts stored before the counting term said it; read as workingTime/wallClock. */
const LegacyOnSiteTerm = z
  .strictObject({ arrival: WorkingTarget, clock: z.enum(['working', 'wall']) })
  .transform((o) => ({ arrival: o.arrival, counting: o.clock === 'wall' ? ('wallClock' as const) : ('workingTime' as const) }));
const OnSiteTerm = z.union([z.strictObject({ arrival: WorkingTarget, counting: OnSiteCounting.default('workingTime') }), LegacyOnSiteTerm]);

const TimeRule = z.strictObject({
  /** Work is billed per started unit ("started 30 minutes"). */
  unitMinutes: z.number().int().positive().max(480),
  /** Added to every entry for writing up the work (§3: about 5 minutes). */
  documentationMinutes: z.number().int().nonnegative().max(120),
  /** Counts against the included hours (and is billed at the hourly rate past them). */
  countsAgainstIncluded: z.boolean(),
});

export const ContractSpec = z
  .strictObject({
    id: ContractId,
    name: z.string().min(1).max(200),
    /** Where the figures come from (document and section). */
    source: z.string().max(500).optional(),
    calendar: CalendarSpec,
    levels: z.array(Level).min(1).max(20),
    /** Which level of this contract's scale a fleet impact maps to. */
    impactToLevel: z.strictObject({ critical: z.string(), high: z.string(), medium: z.string(), low: z.string() }),
    coverage: z.array(Coverage).max(20).default([]),
    /** Reports through these channels carry the guaranteed reaction (§3: written reports, not call-backs). */
    guaranteedChannels: z.array(ReportChannel).min(1).default(['monitoring', 'email', 'form', 'portal']),
    /** Monthly cap of guaranteed support time: past it, new reports carry no guaranteed deadline (§3). */
    monthlyCap: z
      .strictObject({
        hours: z.number().positive().max(744),
        /** Time entries of these channels use up the cap. */
        channels: z.array(WorkChannel).min(1),
        /** Work on reports of these matters never uses the cap (seed 003: the cap limits e-mail support, not bug handling). */
        excludedMatters: z.array(Matter).default(['bug']),
      })
      .nullable()
      .default(null),
    /** Hours of remote/phone work included per month. */
    includedHours: z.number().nonnegative().max(744).default(0),
    /** Net rate for work past the included hours, in grosze (1/100 zł); null = not offered. */
    hourlyRateGrosze: z.number().int().nonnegative().nullable().default(null),
    /** Rounding of time entries per work channel; a channel without a rule is not counted (e-mail, §3). */
    timeRules: z.partialRecord(WorkChannel, TimeRule).default({}),
    /** On-site arrival target (§4: e.g. 4, 8 or 24 hours) and how it is counted (see OnSiteCounting). */
    onSite: OnSiteTerm.nullable().default(null),
    /** Queues: the default one, and the specialist line for ink system / print head / ink problems (§1). */
    queues: z.strictObject({
      default: z.string().min(1).max(64),
      inkOrHead: z.string().min(1).max(64).optional(),
      connectivity: z.string().min(1).max(64).optional(),
    }),
    /**
     * Escalation notices (in addition to the warning share): `warnBefore` ahead of each running SLA
     * deadline (wall clock) a warning, and at the deadline a breach notice, each once per clock, to
     * the vendor's dispatch lists (`dispatch`) and/or the contract's `manager` address. Null: none.
     */
    escalation: z
      .strictObject({
        warnBefore: WallDuration,
        notify: z
          .array(z.enum(['dispatch', 'manager']))
          .min(1)
          .max(2),
        manager: z.email('an e-mail address such as manager@example.pl').max(320).optional(),
      })
      .nullable()
      .default(null),
    /**
     * Customer-fixable faults (impact rules `customerFixable`: door open, paper out, output tray full):
     * `notify` is told at once ("contact" = the customer's contact person in fleet.customers, or an
     * e-mail address), and a vendor ticket opens only if the fault lasts longer than
     * `vendorTicketAfter`, counted in the working time of the contract calendar: the customer's staff
     * fix these while they are on site, so a door left open overnight is theirs to close in the morning.
     * Null: such faults open their vendor ticket at once, like any other.
     */
    customerFixable: z
      .strictObject({
        vendorTicketAfter: WorkingTarget.default('30m'),
        notify: z
          .array(
            z
              .string()
              .max(320)
              .refine((v) => v === 'contact' || z.email().safeParse(v).success, '"contact" or an e-mail address such as office@example.pl'),
          )
          .min(1)
          .max(20)
          .default(['contact']),
      })
      .nullable()
      .prefault({}),
    /** Warning when this share of a target has elapsed. */
    warnAtShare: z.number().gt(0).lt(1).default(0.8),
    /** §2: after `silence` without an answer, `attempts` contact attempts `attemptInterval` apart, then closed as solved. */
    waitingForCustomer: z
      .strictObject({ silence: WallDuration, attempts: z.number().int().nonnegative().max(10), attemptInterval: WallDuration })
      .default({ silence: '14d', attempts: 2, attemptInterval: '2d' }),
    /** Proactive supply orders (issue 9): order when the forecast's early bound is within lead time + safety (working days). */
    supplyOrders: z
      .strictObject({
        enabled: z.boolean().default(true),
        leadTimeWorkingDays: z.number().nonnegative().max(60).default(5),
        safetyWorkingDays: z.number().nonnegative().max(30).default(0),
      })
      .prefault({}),
    commercial: z
      .strictObject({
        monthlyPriceNetGrosze: z.number().int().nonnegative().nullable(),
        minimumTermMonths: z.number().int().nonnegative().nullable(),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    const ids = new Set(c.levels.map((l) => l.id));
    if (ids.size !== c.levels.length) ctx.addIssue({ code: 'custom', path: ['levels'], message: 'unique level ids', input: c.levels.map((l) => l.id) });
    for (const impact of Impact.options) {
      const level = c.impactToLevel[impact];
      if (!ids.has(level)) {
        ctx.addIssue({ code: 'custom', path: ['impactToLevel', impact], message: `one of the level ids (${[...ids].join(', ')})`, input: level });
      }
    }
    if (c.escalation?.notify.includes('manager') && c.escalation.manager === undefined) {
      ctx.addIssue({ code: 'custom', path: ['escalation', 'manager'], message: "the manager's e-mail address (notify names manager)", input: undefined });
    }
    c.coverage.forEach((rule, i) => {
      for (const level of rule.levels) {
        if (!ids.has(level))
          ctx.addIssue({ code: 'custom', path: ['coverage', i, 'levels'], message: `one of the level ids (${[...ids].join(', ')})`, input: level });
      }
      if (rule.impacts.length === 0 && rule.levels.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['coverage', i], message: 'a coverage rule naming impacts or levels', input: rule });
      }
    });
  });
export type ContractSpec = z.input<typeof ContractSpec>;
export type ParsedContractSpec = z.output<typeof ContractSpec>;

/** Parses "2h"/"30m"/"2d"; days are `dayLengthMinutes` long (working days) or 24 h (wall clock). */
export function durationMs(text: string, dayLengthMinutes: number): number {
  const m = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(text);
  if (!m) throw new Error(`invalid duration ${JSON.stringify(text)}: expected e.g. "30m", "2h" or "2d"`);
  const n = Number(m[1]);
  switch (m[2]) {
    case 'm':
      return Math.round(n * MINUTE_MS);
    case 'h':
      return Math.round(n * HOUR_MS);
    default:
      return Math.round(n * dayLengthMinutes * MINUTE_MS);
  }
}

export function wallDurationMs(text: string): number {
  return durationMs(text, 24 * 60);
}

/** The SLA terms that apply to one report. */
export interface AppliedTerms {
  readonly contractId: string;
  readonly level: string;
  readonly levelLabel: string;
  readonly calendar: BusinessCalendar;
  /** Which calendar: "contract" or the coverage rule's description. */
  readonly calendarName: string;
  readonly reactionMs: number | null;
  readonly resolutionMs: number | null;
  readonly warnAtShare: number;
}

/** A validated contract with its calendars compiled. */
export interface Contract {
  readonly spec: ParsedContractSpec;
  /** Version of an API-edited contract (1, 2, …); 0 or absent = the preset/server.yaml definition. Tickets record it. */
  readonly version?: number;
  readonly calendar: BusinessCalendar;
  readonly coverage: ReadonlyArray<{ readonly rule: ParsedContractSpec['coverage'][number]; readonly calendar: BusinessCalendar }>;
}

export class ContractError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContractError';
  }
}

/** Validates and compiles; the error lists every problem with its key path. */
export function compileContract(input: unknown, origin = 'contract'): Contract {
  const parsed = ContractSpec.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    const problems = toProblems(parsed.error).map((p) => p.message);
    throw new ContractError(`${origin}: invalid contract: ${problems.join('; ')}`);
  }
  const spec = parsed.data;
  return {
    spec,
    calendar: compileCalendar(spec.calendar),
    coverage: spec.coverage.map((rule) => ({ rule, calendar: compileCalendar(rule.calendar) })),
  };
}

/** Resolves a fleet impact or a level id of the contract's own scale to a level id. */
export function levelFor(contract: Contract, impactOrLevel: string): string {
  const { spec } = contract;
  if ((Impact.options as readonly string[]).includes(impactOrLevel)) return spec.impactToLevel[impactOrLevel as Impact];
  if (spec.levels.some((l) => l.id === impactOrLevel)) return impactOrLevel;
  throw new ContractError(
    `contract ${spec.id}: unknown impact or level ${JSON.stringify(impactOrLevel)}: expected one of ${[...Impact.options, ...spec.levels.map((l) => l.id)].filter((v, i, a) => a.indexOf(v) === i).join(', ')}`,
  );
}

/**
 * The terms for a report of `impact` (and the level it maps to, unless `level` overrides it).
 * Coverage rules pick another calendar for the impacts/levels they name.
 */
export function termsFor(contract: Contract, impact: Impact, level?: string): AppliedTerms {
  const levelId = level ?? contract.spec.impactToLevel[impact];
  const def = contract.spec.levels.find((l) => l.id === levelId);
  if (!def) throw new ContractError(`contract ${contract.spec.id}: no level ${JSON.stringify(levelId)}`);
  const cover = contract.coverage.find(({ rule }) => rule.impacts.includes(impact) || rule.levels.includes(levelId));
  const calendar = cover?.calendar ?? contract.calendar;
  const day = calendar.dayLengthMinutes;
  return {
    contractId: contract.spec.id,
    level: levelId,
    levelLabel: def.label,
    calendar,
    calendarName: cover ? cover.rule.description : 'contract',
    reactionMs: def.reaction === null ? null : durationMs(def.reaction, day),
    resolutionMs: def.resolution === null ? null : durationMs(def.resolution, day),
    warnAtShare: contract.spec.warnAtShare,
  };
}

/** Which impact a level id stands for, when the caller only knows a level (CLI, manual tickets): the most severe impact mapped to it. */
export function impactOfLevel(contract: Contract, level: string): Impact {
  for (const impact of Impact.options) if (contract.spec.impactToLevel[impact] === level) return impact;
  return 'low';
}

export function queueFor(contract: Contract, fault: { inkOrHead: boolean; connectivity: boolean }): string {
  const q = contract.spec.queues;
  if (fault.inkOrHead && q.inkOrHead) return q.inkOrHead;
  if (fault.connectivity && q.connectivity) return q.connectivity;
  return q.default;
}

const wallCalendars = new Map<string, BusinessCalendar>();

/** A calendar that is always open, in a zone (for targets that run around the clock). */
export function aroundTheClock(zone: string): BusinessCalendar {
  let cal = wallCalendars.get(zone);
  if (!cal) {
    const day = ['00:00-24:00'];
    cal = compileCalendar({ zone, week: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day } });
    wallCalendars.set(zone, cal);
  }
  return cal;
}

/**
 * The on-site arrival target (§4) and the calendar it runs in; target null when the contract has none.
 * `nextBusinessDay` turns the target into whole business days (ceil(target / 24 h), at least one)
 * of working time: one business day of working time from any instant is the same working-clock
 * time on the next open day, so a 24 h target is never stricter than an 8 h working-time one.
 */
export function onSiteTerms(contract: Contract, terms: AppliedTerms): { calendar: BusinessCalendar; targetMs: number | null; counting: OnSiteCounting | null } {
  const onSite = contract.spec.onSite;
  if (!onSite) return { calendar: terms.calendar, targetMs: null, counting: null };
  switch (onSite.counting) {
    case 'wallClock': {
      const calendar = aroundTheClock(terms.calendar.zone);
      return { calendar, targetMs: durationMs(onSite.arrival, calendar.dayLengthMinutes), counting: onSite.counting };
    }
    case 'nextBusinessDay': {
      const days = Math.max(1, Math.ceil(durationMs(onSite.arrival, 24 * 60) / (24 * HOUR_MS)));
      return { calendar: terms.calendar, targetMs: days * terms.calendar.dayLengthMinutes * MINUTE_MS, counting: onSite.counting };
    }
    case 'workingTime':
      return { calendar: terms.calendar, targetMs: durationMs(onSite.arrival, terms.calendar.dayLengthMinutes), counting: onSite.counting };
  }
}
