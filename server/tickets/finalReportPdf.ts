/**
 * The final report (finalReport.ts) as a PDF with pdfkit. The DejaVu Sans font comes from the
 * `dejavu-fonts-ttf` npm package (Polish glyphs: ą ę ł ż …), read from disk: nothing is fetched
 * at run time. Text is laid out as headed sections of "label: value" lines and table rows.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import PDFDocument from 'pdfkit';
import type { FinalReport } from './finalReport.js';

const require = createRequire(import.meta.url);
const FONT_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const REGULAR = join(FONT_DIR, 'DejaVuSans.ttf');
const BOLD = join(FONT_DIR, 'DejaVuSans-Bold.ttf');

export function finalReportPdf(r: FinalReport): Promise<Buffer> {
  const L = r.labels;
  // A fixed creation date keeps the bytes a function of the report.
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: r.title, Creator: 'FleetDesk', CreationDate: new Date(0) }, lang: r.lang });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const heading = (text: string) => doc.moveDown(0.6).font(BOLD).fontSize(12).text(text).moveDown(0.2).font(REGULAR).fontSize(10);
  const line = (label: string, value: string | number | null) =>
    doc
      .font(BOLD)
      .text(`${label}: `, { continued: true })
      .font(REGULAR)
      .text(value === null ? '—' : String(value));
  const rows = (items: readonly string[]) => (items.length === 0 ? doc.text(L.none) : items.forEach((i) => doc.text(`• ${i}`)));

  doc.font(BOLD).fontSize(16).text(r.title);
  doc.font(REGULAR).fontSize(11).text(r.subject).fontSize(10).moveDown(0.4);
  line(L.status, r.status);
  line(L.customer, r.customer.name);
  line(L.contact, r.customer.contact);
  line(L.contract, r.customer.contract);
  line(L.site, r.site);
  line(L.device, r.device);
  heading(L.reported);
  line(L.channel, r.reported.channel);
  line(L.openedAt, r.reported.openedAt);
  line(L.firstSeen, r.reported.firstSeen);
  if (r.reported.description !== null) line(L.description, r.reported.description);
  heading(L.detected);
  rows(r.detected.map((d) => `${d.fault} (${L.since} ${d.since}): ${d.evidence}`));
  heading(L.impact);
  line(L.impact, r.impact.level);
  line(L.why, r.impact.why);
  heading(L.targets);
  rows(r.targets.map((t) => `${t.name}: ${t.target ?? '—'}, ${L.deadline.toLowerCase()} ${t.deadline ?? '—'}: ${L.outcomes[t.outcome]}`));
  heading(L.visits);
  rows(
    r.visits.map(
      (v) =>
        `${v.technician}: ${L.arrived.toLowerCase()} ${v.arrived} (${L.outcomes[v.arrival]}), ${L.departed.toLowerCase()} ${v.departed}${v.workDone ? `: ${v.workDone}` : ''}`,
    ),
  );
  heading(L.work);
  rows(r.work.map((w) => `${w.at} ${w.by} (${w.channel}): ${w.minutes} min → ${L.billed.toLowerCase()} ${w.billedMinutes} min${w.note ? `: ${w.note}` : ''}`));
  if (r.work.length > 0) line(L.total, `${r.totals.minutes} min → ${r.totals.billedMinutes} min`);
  doc.fontSize(8).text(L.billingRule).fontSize(10);
  heading(L.solution);
  line(L.solution, r.solution);
  line(L.resolvedAt, r.resolvedAt);
  line(L.technicians, r.technicians.join(', ') || null);
  doc.moveDown().fontSize(8).text(`${L.generated}: ${r.generatedAt}`);
  doc.end();
  return done;
}
