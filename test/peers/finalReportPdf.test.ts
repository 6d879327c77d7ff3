/**
 * The final report PDF read back with poppler's pdftotext: the Polish and English reports carry
 * their text, Polish letters included (ą ę ł ż …: the DejaVu font is embedded, not substituted).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presetContract } from '../../server/sla/presets.js';
import { finalReport } from '../../server/tickets/finalReport.js';
import { finalReportPdf } from '../../server/tickets/finalReportPdf.js';
import { applyAction } from '../../server/tickets/ticketActions.js';
import { applyFleetEvent } from '../../server/tickets/ticketFleetEvents.js';
import { at, contextFactory, raised } from '../unit/tickets/fixtures.js';
import { makeTempDir, requireProgram } from '../harness/peers.js';

const pdftotext = requireProgram('pdftotext', 'poppler-utils');
const temp = makeTempDir('final-report');
afterAll(() => temp.remove());

function resolvedTicket() {
  const ctx = contextFactory();
  const start = at('2026-04-30T15:00');
  let t = applyFleetEvent(raised('jam', start, { contractId: 'device-vendor-onsite-24h' }), [], ctx(start)).tickets[0]!;
  const step = (action: Parameters<typeof applyAction>[1], when: string) => (t = applyAction(t, action, ctx(at(when))).tickets[0]!);
  step({ type: 'acknowledge', by: 'jan' }, '2026-04-30T15:30');
  step({ type: 'requestVisit', by: 'jan', reason: 'zacięcie papieru w podajniku' }, '2026-04-30T15:40');
  step({ type: 'visitArrival', by: 'łukasz', visitId: 'V1' }, '2026-05-04T09:00');
  step({ type: 'visitDeparture', by: 'łukasz', visitId: 'V1', workDone: 'wymieniono rolkę; wyczyszczono ścieżkę papieru' }, '2026-05-04T10:10');
  step({ type: 'resolve', by: 'łukasz', solution: 'Usunięto zacięcie, żółta lampka zgaszona' }, '2026-05-04T10:15');
  return t;
}

function textOf(pdf: Buffer, name: string): string {
  const file = join(temp.path, name);
  writeFileSync(file, pdf);
  // Lines wrap where the page ends: compare with whitespace runs as one space.
  return execFileSync(pdftotext, ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8', timeout: 20_000 }).replace(/\s+/g, ' ');
}

describe('final report PDF (pdftotext)', () => {
  const t = resolvedTicket();
  const contract = presetContract('device-vendor-onsite-24h');

  it('Polish: headings and Polish letters come back as text', async () => {
    const text = textOf(await finalReportPdf(finalReport(t, contract, 'pl', at('2026-05-04T11:00'))), 'pl.pdf');
    expect(text).toContain(`Raport końcowy zgłoszenia ${t.id}`);
    expect(text).toContain('Przyjazd serwisu');
    expect(text).toContain('łukasz');
    expect(text).toContain('wymieniono rolkę; wyczyszczono ścieżkę papieru');
    expect(text).toContain('Usunięto zacięcie, żółta lampka zgaszona');
    for (const letter of ['ą', 'ę', 'ł', 'ż']) expect(text).toContain(letter);
    // The 24 h arrival counted by next business day: due Monday 4 May 15:40, not on the 1 May holiday.
    expect(text).toMatch(/Przyjazd serwisu: 24 h, termin 2026-05-04 15:40: dotrzymany/);
  });

  it('English: the same report with English labels', async () => {
    const text = textOf(await finalReportPdf(finalReport(t, contract, 'en', at('2026-05-04T11:00'))), 'en.pdf');
    expect(text).toContain(`Final ticket report ${t.id}`);
    expect(text).toMatch(/On-site arrival: 24 h, deadline 2026-05-04 15:40: met/);
    expect(text).toContain('Usunięto zacięcie, żółta lampka zgaszona');
    expect(text).not.toContain('Przyjazd serwisu');
  });
});
