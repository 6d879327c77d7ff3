/**
 * Contract presets: one per scheme of docs support-contracts.md (seeds 002, 003, 004), with the
 * figures of those documents. PREMIUM is "individual" in the source: its preset is a 24/7
 * template with STANDARD's figures, meant to be copied and tailored.
 */
import { compileContract, type Contract, type ContractSpec } from './contract.js';
import type { CalendarSpec } from './businessCalendar.js';

const ZONE = 'Europe/Warsaw';

function weekdays(...intervals: string[]): CalendarSpec {
  return { zone: ZONE, holidays: 'PL', week: { mon: intervals, tue: intervals, wed: intervals, thu: intervals, fri: intervals } };
}

function everyDay(interval: string, holidays: string | null): CalendarSpec {
  const d = [interval];
  return { zone: ZONE, holidays, week: { mon: d, tue: d, wed: d, thu: d, fri: d, sat: d, sun: d } };
}

const TWENTY_FOUR_SEVEN = everyDay('00:00-24:00', null);

/** §3: remote per started 30 min, phone per started 15 min, each + ~5 min write-up; e-mail not counted. */
const PLAN_TIME_RULES: ContractSpec['timeRules'] = {
  remote: { unitMinutes: 30, documentationMinutes: 5, countsAgainstIncluded: true },
  phone: { unitMinutes: 15, documentationMinutes: 5, countsAgainstIncluded: true },
  // E-mail work is recorded minute by minute: it never uses the included hours, only the cap (seed 003, footnote ***).
  email: { unitMinutes: 1, documentationMinutes: 0, countsAgainstIncluded: false },
};

const deviceVendor: ContractSpec = {
  id: 'device-vendor',
  name: 'MFP/printer vendor service rules (4 impact levels)',
  source: 'support-contracts.md §1 (seed 002)',
  calendar: weekdays('08:00-17:00'),
  levels: [
    { id: 'critical', label: 'Krytyczny / critical', reaction: '2h' },
    { id: 'high', label: 'Wysoki / high', reaction: '6h' },
    { id: 'medium', label: 'Średni / medium', reaction: '2d' },
    { id: 'low', label: 'Niski / low', reaction: '5d' },
  ],
  impactToLevel: { critical: 'critical', high: 'high', medium: 'medium', low: 'low' },
  guaranteedChannels: ['monitoring', 'email', 'form', 'portal', 'phone'],
  queues: { default: 'general', inkOrHead: 'ink-head', connectivity: 'general' },
};

function onSiteVariant(hours: 4 | 8 | 24): ContractSpec {
  return {
    ...deviceVendor,
    id: `device-vendor-onsite-${hours}h`,
    name: `${deviceVendor.name} with on-site arrival within ${hours} h`,
    source: 'support-contracts.md §1 and §4 (seeds 000, 002)',
    // 24 h arrival is a next-business-day promise (never due on a holiday or weekend, never stricter than 8 h); 4 h and 8 h count working hours.
    onSite: { arrival: `${hours}h`, counting: hours === 24 ? 'nextBusinessDay' : 'workingTime' },
  };
}

const software: ContractSpec = {
  id: 'software-5level',
  name: 'Software vendor standard support (5 severity levels)',
  source: 'support-contracts.md §2 (seed 004)',
  calendar: weekdays('09:00-17:00'),
  levels: [
    { id: 'sev1', label: '1: product access down, no workaround, many users', reaction: '16h' },
    { id: 'sev2', label: '2: a component down, significant operational impact', reaction: '24h' },
    { id: 'sev3', label: '3: deviates from documentation, workaround possible', reaction: '4d' },
    { id: 'sev4', label: '4: questions about functions, documentation', reaction: '7d' },
    { id: 'sev5', label: '5: suggestions, feature requests', reaction: '14d' },
  ],
  impactToLevel: { critical: 'sev1', high: 'sev2', medium: 'sev3', low: 'sev4' },
  // Reports are accepted 24/7 through the form and e-mail; the clock counts working hours only.
  guaranteedChannels: ['monitoring', 'email', 'form', 'portal'],
  queues: { default: 'support' },
  waitingForCustomer: { silence: '14d', attempts: 2, attemptInterval: '2d' },
};

interface PlanFigures {
  id: string;
  name: string;
  hours: string;
  reaction: string | null;
  capHours: number | null;
  includedHours: number;
  rateZl: number | null;
  priceZl: number | null;
  minimumTermMonths: number | null;
}

function plan(f: PlanFigures, extra: Partial<ContractSpec> = {}): ContractSpec {
  return {
    id: f.id,
    name: f.name,
    source: 'support-contracts.md §3 (seed 003)',
    calendar: weekdays(f.hours),
    levels: [{ id: 'guaranteed', label: f.reaction ? `guaranteed reaction ${f.reaction}` : 'no guaranteed reaction', reaction: f.reaction }],
    impactToLevel: { critical: 'guaranteed', high: 'guaranteed', medium: 'guaranteed', low: 'guaranteed' },
    // §3: the guarantee applies to reports in writing (e-mail/ticket), not to call-backs.
    guaranteedChannels: ['monitoring', 'email', 'form', 'portal'],
    monthlyCap: f.capHours === null ? null : { hours: f.capHours, channels: ['email'] },
    includedHours: f.includedHours,
    hourlyRateGrosze: f.rateZl === null ? null : f.rateZl * 100,
    timeRules: PLAN_TIME_RULES,
    queues: { default: 'support' },
    commercial: { monthlyPriceNetGrosze: f.priceZl === null ? null : f.priceZl * 100, minimumTermMonths: f.minimumTermMonths },
    ...extra,
  };
}

const community = plan({
  id: 'community',
  name: 'COMMUNITY plan',
  hours: '10:00-13:00',
  reaction: null,
  capHours: null,
  includedHours: 0,
  rateZl: 200,
  priceZl: 0,
  minimumTermMonths: 0,
});
const email = plan({
  id: 'email',
  name: 'EMAIL plan',
  hours: '09:00-15:00',
  reaction: '12h',
  capHours: 3,
  includedHours: 0,
  rateZl: 180,
  priceZl: 129,
  minimumTermMonths: 3,
});
const start = plan({
  id: 'start',
  name: 'START plan',
  hours: '08:00-16:00',
  reaction: '8h',
  capHours: 8,
  includedHours: 3,
  rateZl: 165,
  priceZl: 399,
  minimumTermMonths: 3,
});
const standard = plan(
  {
    id: 'standard',
    name: 'STANDARD plan',
    hours: '07:00-17:00',
    reaction: '4h',
    capHours: 15,
    includedHours: 7,
    rateZl: 140,
    priceZl: 799,
    minimumTermMonths: 6,
  },
  {
    // "Critical problems may be reported on days off": their clock also runs on weekends and holidays, in the plan's hours.
    coverage: [{ description: 'critical reports on days off', impacts: ['critical'], calendar: everyDay('07:00-17:00', null) }],
  },
);
const premium = plan(
  {
    id: 'premium',
    name: 'PREMIUM plan (individual; template with STANDARD figures, 24/7)',
    hours: '00:00-24:00',
    reaction: '4h',
    capHours: 15,
    includedHours: 7,
    rateZl: 140,
    priceZl: null,
    minimumTermMonths: null,
  },
  { calendar: TWENTY_FOUR_SEVEN },
);

export const PRESET_SPECS: Readonly<Record<string, ContractSpec>> = Object.fromEntries(
  [deviceVendor, onSiteVariant(4), onSiteVariant(8), onSiteVariant(24), software, community, email, start, standard, premium].map((s) => [s.id, s]),
);

export const PRESET_IDS = Object.keys(PRESET_SPECS);

const compiled = new Map<string, Contract>();

/** A preset contract by id; throws naming the known ids. */
export function presetContract(id: string): Contract {
  const hit = compiled.get(id);
  if (hit) return hit;
  const spec = PRESET_SPECS[id];
  if (!spec) throw new Error(`unknown contract ${JSON.stringify(id)}: presets are ${PRESET_IDS.join(', ')}`);
  const contract = compileContract(spec, `preset ${id}`);
  compiled.set(id, contract);
  return contract;
}
