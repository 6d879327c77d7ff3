/**
 * Bar and line charts drawn with Chart.js (the UMD build served at ./vendor/chart.umd.js, global
 * `Chart`), each inside a <figure> that also carries what the canvas cannot say: a visible title,
 * an aria-label summary on the canvas (role="img") and the data as a table, visually hidden until
 * "Show data table" is pressed. Without Chart.js the table is simply shown instead.
 *
 *   const fig = barChart({ title, labels: ['2026-10', '2026-11'], unit: 'percent', max: 100,
 *                          series: [{ label: 'ACME', data: [98.5, 100] }] });
 *   const fig = lineChart({ title, unit: 'percent', min: 0, max: 100, xLabel: t('…'),
 *                           series: [{ label: 'Black toner', color: '#1f1f1f', points: [{ x: epochMs, y: 42 }] }] });
 *   section.append(fig);           // before or after attaching, both work
 *   destroyCharts(container);      // before replacing a container that holds charts (app.js does it on every route change)
 *
 * Numbers, percentages and instants are formatted for the chosen language (pl-PL / en-GB).
 */
import { h } from './dom.js';
import { formatDateTime, formatNumber, formatPercent, locale, t, timeZone } from './i18n.js';
import { DASHES, chartSummary, chartTable, seriesColour, timeRange } from './chartModel.js';

let tableSeq = 0;

function chartLib() {
  return typeof window !== 'undefined' && typeof window.Chart === 'function' ? window.Chart : null;
}

function valueFormatter(unit, format) {
  if (format) return format;
  if (unit === 'percent') return (v) => formatPercent(v);
  return (v) => formatNumber(v);
}

/** A short date for axis ticks; the tooltip and table use the full date and time. */
function tickDate(ms, spanMs) {
  const opts = spanMs <= 2 * 86_400_000 ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short' };
  return new Intl.DateTimeFormat(locale(), { ...opts, timeZone: timeZone() }).format(new Date(ms));
}

function figure(kind, opts, fmtValue, fmtX) {
  const summary = opts.summary ?? chartSummary(kind, opts, { t, fmtValue, fmtX });
  const { header, rows } = chartTable(kind, opts, { fmtValue, fmtX, firstColumn: opts.xLabel ?? (kind === 'bar' ? t('chart.category') : t('chart.when')) });
  const lib = chartLib();
  const tableId = `chart-table-${++tableSeq}`;
  const tableEl = h(
    'div',
    { id: tableId, class: `table-wrap chart-table${lib ? ' visually-hidden' : ''}` },
    h(
      'table',
      {},
      h('caption', {}, opts.title),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          header.map((x) => h('th', { scope: 'col' }, x)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', { class: 'num' }, c))),
          ),
        ),
      ),
    ),
  );
  // hideTitle: the card around the chart already has the same heading (the caption stays for screen readers).
  const fig = h('figure', { class: 'chart' }, h('figcaption', { class: opts.hideTitle ? 'visually-hidden' : null }, opts.title));
  if (!lib) {
    fig.append(h('p', { class: 'muted small' }, t('chart.unavailable')), tableEl);
    return { fig, canvas: null, summary };
  }
  const canvas = h('canvas', { class: 'chart-canvas', role: 'img', 'aria-label': summary });
  const box = h('div', { class: 'chart-box', style: opts.height ? { height: `${opts.height}px` } : undefined }, canvas);
  const toggle = h(
    'button',
    { type: 'button', class: 'secondary small chart-toggle', 'aria-expanded': 'false', 'aria-controls': tableId },
    t('chart.showTable'),
  );
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? t('chart.hideTable') : t('chart.showTable');
    tableEl.classList.toggle('visually-hidden', !open);
  });
  const empty = opts.series.every((s) => (s.data ?? s.points.map((p) => p.y)).every((v) => v === null || v === undefined));
  fig.append(box, ...(empty ? [h('p', { class: 'muted small chart-empty', 'aria-hidden': 'true' }, t('chart.noDataYet'))] : []), toggle, tableEl);
  return { fig, canvas, summary };
}

function baseOptions(fmtValue, { min, max, stacked = false, horizontal = false, legend = true, integer = false }) {
  const valueAxis = {
    min,
    max,
    stacked,
    beginAtZero: true,
    ticks: { callback: (v) => fmtValue(v), ...(integer ? { precision: 0 } : {}) },
    grid: { color: '#e4e8ec' },
  };
  const catAxis = { stacked, grid: { display: false }, ticks: { autoSkip: true, maxRotation: 45 } };
  return {
    locale: locale(),
    responsive: true,
    maintainAspectRatio: false,
    // No animation: nothing moves for people who asked for less motion, and screenshots are stable.
    animation: false,
    indexAxis: horizontal ? 'y' : 'x',
    color: '#1b2430',
    plugins: {
      legend: { display: legend, labels: { color: '#1b2430', usePointStyle: true } },
      tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${fmtValue(horizontal ? ctx.parsed.x : ctx.parsed.y)}` } },
    },
    scales: horizontal ? { x: valueAxis, y: catAxis } : { x: catAxis, y: valueAxis },
  };
}

/**
 * Bars per category. opts: title, labels (categories), series [{label, data (number|null)[], color?}],
 * unit 'percent' (values 0–100) | 'number', format?(v), min?, max?, stacked?, horizontal?, integer? (whole-number
 * ticks, for counts), height? (px), xLabel? (first column of the table), hideTitle? (the surrounding card
 * already shows the title; the caption stays for screen readers), summary? (overrides the generated one).
 */
export function barChart(opts) {
  const fmtValue = valueFormatter(opts.unit, opts.format);
  const { fig, canvas } = figure('bar', opts, fmtValue, String);
  if (!canvas) return fig;
  const Chart = chartLib();
  new Chart(canvas, {
    type: 'bar',
    data: {
      labels: opts.labels,
      datasets: opts.series.map((s, i) => ({
        label: s.label,
        data: s.data,
        backgroundColor: seriesColour(s, i),
        borderColor: seriesColour(s, i),
        borderWidth: 1,
        maxBarThickness: 64,
      })),
    },
    options: baseOptions(fmtValue, { ...opts, legend: opts.series.length > 1 }),
  });
  return fig;
}

/**
 * Lines over time. opts: title, series [{label, points [{x epoch ms, y number|null}], color?}],
 * unit, format?, min?, max?, step? (draw as steps, for levels that jump), height?, xLabel?, summary?.
 */
export function lineChart(opts) {
  const fmtValue = valueFormatter(opts.unit, opts.format);
  const fmtX = (x) => formatDateTime(x);
  const { fig, canvas } = figure('line', opts, fmtValue, fmtX);
  if (!canvas) return fig;
  const xs = opts.series.flatMap((s) => s.points.map((p) => p.x));
  const range = timeRange(xs);
  const options = baseOptions(fmtValue, { ...opts, legend: opts.series.length > 1 });
  options.scales.x = {
    type: 'linear',
    min: range.min,
    max: range.max,
    grid: { display: false },
    ticks: { maxTicksLimit: 8, callback: (v) => tickDate(v, range.max - range.min) },
  };
  options.plugins.tooltip.callbacks.title = (items) => (items.length ? fmtX(items[0].parsed.x) : '');
  options.plugins.tooltip.callbacks.label = (ctx) => `${ctx.dataset.label}: ${fmtValue(ctx.parsed.y)}`;
  const Chart = chartLib();
  new Chart(canvas, {
    type: 'line',
    data: {
      datasets: opts.series.map((s, i) => ({
        label: s.label,
        data: s.points.map((p) => ({ x: p.x, y: p.y })),
        borderColor: seriesColour(s, i),
        backgroundColor: seriesColour(s, i),
        borderDash: DASHES[i % DASHES.length],
        pointRadius: s.points.length > 60 ? 0 : 3,
        pointStyle: ['circle', 'rect', 'triangle', 'rectRot'][i % 4],
        stepped: opts.step ? 'before' : false,
        spanGaps: false,
        tension: 0,
      })),
    },
    options,
  });
  return fig;
}

/** Destroys the Chart.js instances under `root` (their listeners and resize observers). */
export function destroyCharts(root) {
  const Chart = chartLib();
  if (!Chart || !root) return;
  for (const canvas of root.querySelectorAll('canvas.chart-canvas')) Chart.getChart(canvas)?.destroy();
}
