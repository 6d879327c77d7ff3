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

/** Epoch ms or ISO string → local date and time in the language's format. */
export function formatDateTime(value) {
  if (value === null || value === undefined) return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
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
