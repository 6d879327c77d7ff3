/**
 * Translations and locale formats. The chosen language is kept in localStorage; dates, numbers
 * and percentages go through Intl with pl-PL or en-GB, so Polish users see Polish formats.
 */
import en from './i18n/en.js';
import pl from './i18n/pl.js';

const CATALOGUES = { en, pl };
const KEY = 'fleetdesk.lang';
let lang = initialLanguage();
let faultLabels = {};

function initialLanguage() {
  const saved = localStorage.getItem(KEY);
  if (saved === 'pl' || saved === 'en') return saved;
  return navigator.language?.toLowerCase().startsWith('pl') ? 'pl' : 'en';
}

export function language() {
  return lang;
}

export function setLanguage(next) {
  if (!(next in CATALOGUES)) return;
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
}

export function locale() {
  return lang === 'pl' ? 'pl-PL' : 'en-GB';
}

/** The text for a key with {placeholders} filled; a missing key shows itself (easy to spot). */
export function t(key, vars = {}) {
  const text = CATALOGUES[lang][key] ?? CATALOGUES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/**
 * A count with its noun in the right plural form: `key.one`, `key.few`, `key.many` or `key.other`
 * by the language's plural rules (1 device / 2 devices; 1 urządzenie / 2 urządzenia / 5 urządzeń),
 * with {n} formatted.
 */
export function tCount(key, n, vars = {}) {
  const form = new Intl.PluralRules(locale()).select(n);
  const catalogue = CATALOGUES[lang];
  const chosen = `${key}.${form}` in catalogue ? `${key}.${form}` : `${key}.other`;
  return t(chosen, { ...vars, n: formatNumber(n) });
}

export async function loadFaultLabels() {
  const res = await fetch('./fault-labels.json');
  if (res.ok) faultLabels = await res.json();
}

export function faultLabel(code) {
  return faultLabels[code]?.[lang] ?? code;
}

export function faultCodes() {
  return Object.keys(faultLabels).sort();
}

/*
 * Time zone. Times are shown in the site's zone by default: the zone of the contract calendar
 * the SLA deadlines are counted in (GET /me → timeZone), the one the phone call and the terminal
 * speak. A user may switch to the browser's zone (kept in localStorage); the top bar names the zone.
 */
const ZONE_KEY = 'fleetdesk.timeZone';
let siteZone = 'Europe/Warsaw';

export function setSiteTimeZone(zone) {
  if (typeof zone === 'string' && zone !== '') siteZone = zone;
}

export function siteTimeZone() {
  return siteZone;
}

export function browserTimeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

/** 'site' (default) or 'browser'. */
export function timeZoneChoice() {
  return localStorage.getItem(ZONE_KEY) === 'browser' ? 'browser' : 'site';
}

export function setTimeZoneChoice(choice) {
  localStorage.setItem(ZONE_KEY, choice === 'browser' ? 'browser' : 'site');
}

/** The IANA zone dates are shown in now. */
export function timeZone() {
  return timeZoneChoice() === 'browser' ? browserTimeZone() : siteZone;
}

/** Epoch ms or ISO string → date and time in the chosen zone and the language's format. */
export function formatDateTime(value) {
  if (value === null || value === undefined) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: timeZone() }).format(d);
}

/** "CET", "GMT+1", "UTC": the short name of the chosen zone at an instant. */
export function timeZoneShortName(at = Date.now()) {
  const part = new Intl.DateTimeFormat(locale(), { timeZone: timeZone(), timeZoneName: 'short' })
    .formatToParts(new Date(at))
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone();
}

export function formatNumber(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

export function formatPercent(p) {
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 }).format(p / 100);
}

/** Absolute duration in ms as "2 h 05 min" / "3 d 1 h 0 min" in the language. */
export function formatDuration(ms) {
  const totalMin = Math.floor(Math.abs(ms) / 60_000);
  const d = Math.floor(totalMin / 1440);
  const h = Math.floor((totalMin % 1440) / 60);
  const m = totalMin % 60;
  if (d > 0) {
    // Polish needs the plural form of "day" (1 dzień, 2 dni); pl has no "few" form for days.
    const form = new Intl.PluralRules(locale()).select(d) === 'one' ? 'one' : 'other';
    return t('duration.dhm', { d, days: t(`duration.days.${form}`), h, m });
  }
  if (h > 0) return t('duration.hm', { h, m: String(m).padStart(2, '0') });
  return t('duration.m', { m });
}
