/**
 * `fleetdesk sla …`: the SLA calendar for dispatchers and for checking contracts.
 *   sla deadline --contract <id> --impact <level> --at <ISO>   deadline, ISO in the contract's zone
 *   sla between  --contract <id> --from <ISO> --to <ISO>       working minutes in [from, to)
 *   sla contracts                                              preset ids and their terms
 * Contracts are the presets (server/sla/presets.ts) or those of a YAML/JSON file (--contracts).
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DateTime } from 'luxon';
import { parse } from 'yaml';
import { addWorkingTime, formatInZone, MINUTE_MS, nextOpening, workingTimeBetween } from '../../server/sla/businessCalendar.js';
import type { ContractError } from '../../server/sla/contract.js';
import { compileContract, impactOfLevel, Impact, levelFor, onSiteTerms, termsFor, type AppliedTerms, type Contract } from '../../server/sla/contract.js';
import { PRESET_IDS, presetContract } from '../../server/sla/presets.js';
import { CliError } from '../cliError.js';

interface ContractOpts {
  contract: string;
  contracts?: string;
}

function loadContracts(file: string): Map<string, Contract> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read contracts file ${file}: ${(err as Error).message}`, 2);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new CliError(`contracts file ${file} is not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`, 2);
  }
  const list = Array.isArray(data) ? data : (data as { contracts?: unknown } | null)?.contracts;
  if (!Array.isArray(list)) throw new CliError(`contracts file ${file}: expected a list of contracts (or a "contracts:" key holding one)`, 2);
  const out = new Map<string, Contract>();
  list.forEach((spec, i) => {
    try {
      const c = compileContract(spec, `${file}: contracts[${i}]`);
      out.set(c.spec.id, c);
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
  });
  return out;
}

function contractOf(opts: ContractOpts): Contract {
  if (opts.contracts) {
    const fromFile = loadContracts(opts.contracts);
    const hit = fromFile.get(opts.contract);
    if (hit) return hit;
    if (!PRESET_IDS.includes(opts.contract)) {
      throw new CliError(
        `unknown contract ${JSON.stringify(opts.contract)}: ${opts.contracts} has ${[...fromFile.keys()].join(', ') || 'none'}; presets are ${PRESET_IDS.join(', ')}`,
      );
    }
  }
  try {
    return presetContract(opts.contract);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** An ISO instant; without an offset it is read in the contract's zone. */
/** Terms for an --impact argument: an impact (critical…low) or a level of the contract's own scale. */
function termsOfArgument(contract: Contract, argument: string): AppliedTerms {
  let level: string;
  try {
    level = levelFor(contract, argument);
  } catch (err) {
    throw new CliError((err as ContractError).message);
  }
  const impact = (Impact.options as readonly string[]).includes(argument) ? (argument as Impact) : impactOfLevel(contract, level);
  return termsFor(contract, impact, level);
}

function instant(flag: string, value: string, zone: string): number {
  const dt = DateTime.fromISO(value, { zone, setZone: true });
  if (!dt.isValid || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
    throw new CliError(
      `invalid ${flag} ${JSON.stringify(value)}: expected an ISO 8601 date-time such as 2026-03-02T16:00:00+01:00 (without offset: in ${zone})`,
    );
  }
  return dt.toMillis();
}

function hours(ms: number): string {
  return `${Math.round((ms / 3_600_000) * 100) / 100} h`;
}

export function slaCommand(): Command {
  const sla = new Command('sla').description('working-time calendar and SLA deadlines of the support contracts');
  const contractOption = () => new Option('--contract <id>', `contract id (presets: ${PRESET_IDS.join(', ')})`).makeOptionMandatory();
  const fileOption = () => new Option('--contracts <file>', 'YAML/JSON file with a list of contracts (in addition to the presets)');

  sla
    .command('deadline')
    .description('print the deadline of a report (ISO 8601, in the contract time zone)')
    .addOption(contractOption())
    .addOption(fileOption())
    .requiredOption('--impact <level>', `impact (${Impact.options.join(', ')}) or a level of the contract's own scale (e.g. sev3)`)
    .requiredOption('--at <instant>', 'when the report was registered (ISO 8601)')
    .addOption(new Option('--target <kind>', 'which target').choices(['reaction', 'resolution', 'onsite']).default('reaction'))
    .option('--explain', 'also print the terms and the start of the clock')
    .action((opts: ContractOpts & { impact: string; at: string; target: 'reaction' | 'resolution' | 'onsite'; explain?: boolean }) => {
      const contract = contractOf(opts);
      const terms = termsOfArgument(contract, opts.impact);
      const at = instant('--at', opts.at, terms.calendar.zone);
      const onSite = onSiteTerms(contract, terms);
      const calendar = opts.target === 'onsite' ? onSite.calendar : terms.calendar;
      const target = opts.target === 'onsite' ? onSite.targetMs : opts.target === 'reaction' ? terms.reactionMs : terms.resolutionMs;
      if (target === null) {
        process.stdout.write(`none: contract ${contract.spec.id} has no guaranteed ${opts.target} time for level ${terms.level}\n`);
        return;
      }
      const deadline = addWorkingTime(calendar, at, target);
      process.stdout.write(`${formatInZone(calendar, deadline)}\n`);
      if (opts.explain) {
        process.stdout.write(
          [
            `contract: ${contract.spec.id} (${contract.spec.name})`,
            `level: ${terms.level} (${terms.levelLabel}); ${opts.target} target ${hours(target)} of working time; calendar: ${terms.calendarName}; working day ${calendar.dayLengthMinutes} min`,
            `registered: ${formatInZone(calendar, at)}; clock starts: ${formatInZone(calendar, nextOpening(calendar, at))}`,
            '',
          ].join('\n'),
        );
      }
    });

  sla
    .command('between')
    .description('print the working minutes of a contract calendar in [from, to)')
    .addOption(contractOption())
    .addOption(fileOption())
    .requiredOption('--from <instant>', 'start (ISO 8601)')
    .requiredOption('--to <instant>', 'end (ISO 8601)')
    .option('--impact <level>', 'use the calendar that applies to this impact/level (coverage rules)')
    .action((opts: ContractOpts & { from: string; to: string; impact?: string }) => {
      const contract = contractOf(opts);
      let calendar = contract.calendar;
      if (opts.impact !== undefined) calendar = termsOfArgument(contract, opts.impact).calendar;
      const from = instant('--from', opts.from, calendar.zone);
      const to = instant('--to', opts.to, calendar.zone);
      if (to < from) throw new CliError(`--to (${opts.to}) is before --from (${opts.from})`);
      const minutes = workingTimeBetween(calendar, from, to) / MINUTE_MS;
      process.stdout.write(`${Math.round(minutes * 1000) / 1000}\n`);
    });

  sla
    .command('contracts')
    .description('list the contracts (presets, or a file) with their terms')
    .addOption(fileOption())
    .action((opts: { contracts?: string }) => {
      const list = opts.contracts ? [...loadContracts(opts.contracts).values()] : PRESET_IDS.map((id) => presetContract(id));
      for (const c of list) {
        const levels = c.spec.levels.map((l) => `${l.id}=${l.reaction ?? 'none'}${l.resolution ? `/${l.resolution}` : ''}`).join(' ');
        const cap = c.spec.monthlyCap ? ` cap ${c.spec.monthlyCap.hours} h/month` : '';
        const inc = c.spec.includedHours > 0 ? ` included ${c.spec.includedHours} h` : '';
        const onSite = c.spec.onSite ? ` on-site ${c.spec.onSite.arrival}` : '';
        process.stdout.write(`${c.spec.id}\t${levels}${cap}${inc}${onSite}\t${c.spec.name}\n`);
      }
    });
  return sla;
}
