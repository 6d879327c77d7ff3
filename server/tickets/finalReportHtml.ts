/** The final report (finalReport.ts) as a self-contained HTML page: printable, no scripts, no external assets. */
import { escapeHtml as e } from '../notifications/messageRendering.js';
import type { FinalReport } from './finalReport.js';

function table(headers: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>, none: string): string {
  if (rows.length === 0) return `<p class="none">${e(none)}</p>`;
  const head = headers.map((h) => `<th>${e(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${e(String(c))}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function facts(rows: ReadonlyArray<readonly [string, string | null]>): string {
  return `<dl>${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v ?? '—')}</dd>`).join('')}</dl>`;
}

export function finalReportHtml(r: FinalReport): string {
  const L = r.labels;
  return `<!doctype html>
<html lang="${r.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(r.title)}</title>
<style>
body{font-family:system-ui,"DejaVu Sans",sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #ccd}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccd;padding:.25rem .4rem;text-align:left;vertical-align:top}
.breached{color:#b00020;font-weight:600}.met{color:#1b6e20}.none{color:#667}
</style>
</head>
<body>
<h1>${e(r.title)}</h1>
<p>${e(r.subject)}</p>
${facts([
  [L.ticket, r.ticketId],
  [L.status, r.status],
  [L.customer, r.customer.name],
  [L.contact, r.customer.contact],
  [L.contract, r.customer.contract],
  [L.site, r.site],
  [L.device, r.device],
])}
<h2>${e(L.reported)}</h2>
${facts([
  [L.channel, r.reported.channel],
  [L.openedAt, r.reported.openedAt],
  [L.firstSeen, r.reported.firstSeen],
  ...(r.reported.description !== null ? [[L.description, r.reported.description] as const] : []),
])}
<h2>${e(L.detected)}</h2>
${table(
  [L.fault, L.since, L.evidence],
  r.detected.map((d) => [d.fault, d.since, d.evidence]),
  L.none,
)}
<h2>${e(L.impact)}</h2>
${facts([
  [L.impact, r.impact.level],
  [L.why, r.impact.why],
])}
<h2>${e(L.targets)}</h2>
<table><thead><tr><th>${e(L.targets)}</th><th>${e(L.target)}</th><th>${e(L.deadline)}</th><th>${e(L.outcome)}</th></tr></thead><tbody>
${r.targets.map((t) => `<tr><td>${e(t.name)}</td><td>${e(t.target ?? '—')}</td><td>${e(t.deadline ?? '—')}</td><td class="${t.outcome}">${e(L.outcomes[t.outcome])}</td></tr>`).join('\n')}
</tbody></table>
<h2>${e(L.visits)}</h2>
${table(
  [L.technician, L.arrived, L.departed, L.outcome, L.note],
  r.visits.map((v) => [v.technician, v.arrived, v.departed, L.outcomes[v.arrival], v.workDone]),
  L.none,
)}
<h2>${e(L.work)}</h2>
${table([L.when, L.by, L.channel, L.minutes, L.billed, L.note], [...r.work.map((w) => [w.at, w.by, w.channel, w.minutes, w.billedMinutes, w.note]), ...(r.work.length > 0 ? [[L.total, '', '', r.totals.minutes, r.totals.billedMinutes, '']] : [])], L.none)}
<p>${e(L.billingRule)}</p>
<h2>${e(L.solution)}</h2>
${facts([
  [L.solution, r.solution],
  [L.resolvedAt, r.resolvedAt],
  [L.technicians, r.technicians.join(', ') || null],
])}
<p class="none">${e(L.generated)}: ${e(r.generatedAt)}</p>
</body>
</html>
`;
}
