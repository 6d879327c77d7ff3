/**
 * Renders a notification in the recipient's language (pure): the template of the notice kind,
 * filled from the notice facts, with dates in the configured time zone and Polish date and
 * number formats for Polish ("5 stycznia 2026, 10:00 CET", "1,5 h"). Gives a subject, a plain
 * text body and an HTML body made from the same text (escaped).
 */
import { DateTime } from 'luxon';
import { DETAILS, LINK_LINE, METER_DETAILS, SIGNATURE, TEMPLATES, VOCABULARY, type Placeholder } from './messageTemplates.js';
import type { NoticeFacts, TicketFacts } from './noticeFacts.js';
import { ticketFaultLabel } from '../tickets/ticket.js';
import type { Language } from './notificationSettings.js';

export interface RenderedMessage {
  readonly language: Language;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface RenderOptions {
  readonly timeZone: string;
  /** Base URL of the dashboard; without it messages carry no link. */
  readonly dashboardUrl?: string | undefined;
}

const LOCALE: Readonly<Record<Language, string>> = { pl: 'pl', en: 'en-GB' };

export function formatInstant(at: number, language: Language, timeZone: string): string {
  return DateTime.fromMillis(at, { zone: timeZone }).setLocale(LOCALE[language]).toFormat('d MMMM yyyy, HH:mm ZZZZ');
}

/** A span of wall-clock time: "45 min" under an hour, else hours with one decimal ("1,5 h" in Polish). */
export function formatSpan(ms: number, language: Language): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  return `${new Intl.NumberFormat(LOCALE[language], { maximumFractionDigits: 1 }).format(minutes / 60)} h`;
}

export function metersLink(dashboardUrl: string, period: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/dashboard/#/meters?period=${encodeURIComponent(period)}`;
}

export function ticketLink(dashboardUrl: string, ticketId: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/dashboard/#/tickets/${encodeURIComponent(ticketId)}`;
}

function deviceLabel(t: Pick<TicketFacts, 'device' | 'affectedDevices'>, language: Language): string {
  const v = VOCABULARY[language];
  if (!t.device) return v.wholeSite.replace('{count}', String(t.affectedDevices));
  const d = t.device;
  const name = [d.vendor, d.model].filter((x) => x !== undefined && x !== '').join(' ') || d.id;
  const parts = [name];
  if (d.serial) parts.push(`${v.serial} ${d.serial}`);
  if (d.location) parts.push(d.location);
  return parts.join(', ');
}

/** Fills `{name}` placeholders; an unknown name is left visible rather than silently dropped. */
export function fill(template: string, values: Readonly<Partial<Record<Placeholder, string>>>): string {
  return template.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name as Placeholder]! : whole));
}

export function placeholderValues(facts: NoticeFacts, language: Language, o: RenderOptions): Partial<Record<Placeholder, string>> {
  const v = VOCABULARY[language];
  const values: Partial<Record<Placeholder, string>> = { now: formatInstant(facts.at, language, o.timeZone) };
  const c = facts.condition;
  if (c) {
    values.title = ticketFaultLabel({ code: c.fault.code, subunit: c.fault.subunit ?? null }, language);
    values.customer = c.customer.name;
    values.site = c.site.name;
    values.device = deviceLabel({ device: c.device, affectedDevices: 0 }, language);
    values.deadline = formatInstant(c.vendorTicketAt, language, o.timeZone);
  }
  const m = facts.meter;
  if (m) {
    values.customer = m.customer.name;
    const name = m.model ?? m.deviceKey;
    values.device = m.serial ? `${name}, ${v.serial} ${m.serial}` : name;
    values.period = m.period;
    values.cutoff = formatInstant(m.cutoff, language, o.timeZone);
    values.lastReading = m.lastReadingAt !== null ? formatInstant(m.lastReadingAt, language, o.timeZone) : v.noReading;
    if (o.dashboardUrl) values.link = metersLink(o.dashboardUrl, m.period);
  }
  const t = facts.ticket;
  if (!t) return values;
  values.number = t.id;
  values.title = t.title;
  values.customer = t.customer.name;
  values.site = t.site.address ? `${t.site.name}, ${t.site.address}` : t.site.name;
  values.device = deviceLabel(t, language);
  values.impact = v.impact[t.impact];
  values.status = v.status[t.status];
  values.tier = v.tier[t.tier];
  values.deadline = t.deadlineAt !== null ? formatInstant(t.deadlineAt, language, o.timeZone) : t.guaranteed ? v.noDeadline : v.noGuarantee;
  values.remaining = t.deadlineAt !== null ? formatSpan(t.deadlineAt - facts.at, language) : v.unknown;
  values.clock = facts.clock !== null ? v.clock[facts.clock] : v.clock.reaction;
  values.attempt = facts.attempt !== null ? new Intl.NumberFormat(LOCALE[language]).format(facts.attempt) : v.unknown;
  if (o.dashboardUrl) values.link = ticketLink(o.dashboardUrl, t.id);
  return values;
}

/** Text as HTML content or attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function toHtml(paragraphs: readonly string[], link: string | undefined, language: Language): string {
  const body = paragraphs
    .map((p) => {
      let html = escapeHtml(p).replace(/\n/g, '<br>\n');
      if (link) html = html.replace(escapeHtml(link), `<a href="${escapeHtml(link)}">${escapeHtml(link)}</a>`);
      return `<p>${html}</p>`;
    })
    .join('\n');
  return `<!doctype html>\n<html lang="${language}"><head><meta charset="utf-8"></head><body>\n${body}\n</body></html>\n`;
}

export function renderMessage(facts: NoticeFacts, language: Language, o: RenderOptions): RenderedMessage {
  const template = TEMPLATES[facts.kind][language];
  const values = placeholderValues(facts, language, o);
  // Subjects are one line whatever a ticket title holds.
  const subject = fill(template.subject, values)
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim();
  const paragraphs = fill(template.intro, values).split(/\n{2,}/);
  if (facts.ticket) paragraphs.push(fill(DETAILS[language], values));
  if (facts.meter) paragraphs.push(fill(METER_DETAILS[language], values));
  if (values.link) paragraphs.push(fill(LINK_LINE[language], values));
  paragraphs.push(SIGNATURE[language]);
  return { language, subject, text: `${paragraphs.join('\n\n')}\n`, html: toHtml(paragraphs, values.link, language) };
}
