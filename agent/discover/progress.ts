/** Sweep progress as text (pure): a bar for terminals, plain lines for logs and pipes. */

export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly found: number;
  readonly elapsedMs: number;
}

function seconds(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function figures(p: Progress): { rate: string; eta: string } {
  const perSecond = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const eta = perSecond > 0 ? seconds(((p.total - p.done) / perSecond) * 1000) : '?';
  return { rate: `${perSecond.toFixed(perSecond < 10 ? 1 : 0)}/s`, eta };
}

export function progressBar(p: Progress, width = 30): string {
  const share = p.total === 0 ? 1 : p.done / p.total;
  const filled = Math.round(share * width);
  const { rate, eta } = figures(p);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} found ${p.found}  ${rate}  ETA ${eta}`;
}

export function progressLine(p: Progress): string {
  const { rate, eta } = figures(p);
  return `scanned ${p.done}/${p.total} addresses, found ${p.found} printers, ${rate}, ETA ${eta}`;
}
