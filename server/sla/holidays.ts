/**
 * Statutory days off for working-time calendars, from the `date-holidays` package (type
 * `public` only: observances and bank holidays do not close a service desk).
 *
 * We read each holiday's local `date` (YYYY-MM-DD), not its start/end instants: a calendar
 * decides "is this local day closed" in its own zone, and the package's instants are midnight
 * to midnight of the country's zone anyway.
 *
 * Checked against the rules of support-contracts §5 (Poland: 24 December is a day off from
 * 2025, not before) by test/unit/sla/holidays.test.ts with an independent Easter computation.
 */
import { createRequire } from 'node:module';
import type HolidaysType from 'date-holidays';

type Holidays = HolidaysType;
// Loaded on first use: its country data costs ~170 ms, which every CLI command would pay at start.
let HolidaysClass: (new () => Holidays) | undefined;
function load(): new () => Holidays {
  HolidaysClass ??= createRequire(import.meta.url)('date-holidays') as new () => Holidays;
  return HolidaysClass;
}

const byCountry = new Map<string, Holidays>();
const byYear = new Map<string, ReadonlySet<string>>();

function holidaysFor(country: string): Holidays {
  let hd = byCountry.get(country);
  if (!hd) {
    hd = new (load())();
    if (!Object.prototype.hasOwnProperty.call(hd.getCountries(), country)) {
      throw new Error(`unknown holiday country ${JSON.stringify(country)}: expected an ISO 3166-1 alpha-2 code that date-holidays knows, e.g. "PL"`);
    }
    hd.init(country);
    byCountry.set(country, hd);
  }
  return hd;
}

/** Throws when date-holidays has no data for the country code. */
export function assertHolidayCountry(country: string): void {
  holidaysFor(country);
}

/** Local dates (YYYY-MM-DD) of the country's public holidays in one year. */
export function publicHolidays(country: string, year: number): ReadonlySet<string> {
  const key = `${country}:${year}`;
  let set = byYear.get(key);
  if (!set) {
    const dates = new Set<string>();
    for (const h of holidaysFor(country).getHolidays(year)) {
      if (h.type === 'public') dates.add(h.date.slice(0, 10));
    }
    set = dates;
    byYear.set(key, set);
  }
  return set;
}

/** Name of the public holiday on a local date, or undefined (for explanations in the CLI and docs). */
export function publicHolidayName(country: string, localDate: string): string | undefined {
  const year = Number(localDate.slice(0, 4));
  for (const h of holidaysFor(country).getHolidays(year)) {
    if (h.type === 'public' && h.date.startsWith(localDate)) return h.name;
  }
  return undefined;
}
