/**
 * Meters for billing: the export of one billing period (per device and counter: opening and
 * closing snapshot, usage, billed units, flags, who confirmed), a CSV download of the same rows,
 * and the devices that will miss the coming cut-off (GET /api/v1/meters, /meters/missing).
 * A customer confirms its devices' readings here (POST /meters/{device}/{period}/confirm).
 * A range of periods (at most MAX_RANGE, as the API allows) downloads as one CSV file.
 *
 *   #/meters?period=YYYY-MM
 */
import { api, apiDownload, session } from '../api.js';
import { errorBox, h, setChildren, table } from '../dom.js';
import { formatNumber, locale, t } from '../i18n.js';
import { go } from '../nav.js';
import { isMonth, monthRange } from '../reportModel.js';

/** The most periods one export covers (MAX_EXPORT_PERIODS in server/meters/meterExport.ts). */
const MAX_RANGE = 36;

/** The last 12 months, newest first, as YYYY-MM (the browser's calendar; periods are labelled by their month). */
function recentPeriods(now = new Date()) {
  const out = [];
  for (let i = 0; i < 12; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(d.toISOString().slice(0, 7));
  }
  return out;
}

const num = (v) => (v === null || v === undefined ? '—' : formatNumber(v));
/** Where a counter value came from, as a tooltip: "IPP printer-impressions-completed (exact)". */
const origin = (source, confidence) => (source ? `${source} (${confidence ? t(`meters.confidence.${confidence}`) : t('meters.confidence.unknown')})` : '');

function rowOf(r, onConfirm) {
  const canConfirm = session.me?.role === 'customer' || session.me?.role === 'admin';
  const confirm =
    r.confirmedBy !== null
      ? h('span', {}, t('meters.confirmedBy', { name: r.confirmedBy }))
      : canConfirm && r.openingAt !== null
        ? h('button', { type: 'button', class: 'secondary small', onclick: () => onConfirm(r.deviceKey) }, t('meters.confirm'))
        : '—';
  return h(
    'tr',
    // A device with no reading in the period has one row without a counter (flag noReading).
    { dataset: r.counter === null ? { device: r.deviceKey } : { device: r.deviceKey, counter: r.counter } },
    h('td', {}, h('a', { href: `#/devices/${encodeURIComponent(r.deviceKey)}` }, [r.model, r.serial].filter(Boolean).join(' · ') || r.deviceKey)),
    h('td', {}, r.counter === null ? '—' : h('code', {}, r.counter)),
    h('td', { class: 'num', title: origin(r.openingCounterSource, r.openingConfidence) }, num(r.opening)),
    h('td', { class: 'num', title: origin(r.closingCounterSource, r.closingConfidence) }, num(r.closing)),
    h('td', { class: 'num' }, num(r.usage)),
    h('td', { class: 'num' }, num(r.billedUnits)),
    h('td', {}, r.flags.length === 0 ? '—' : r.flags.map((f) => t(`meters.flag.${f}`)).join(', ')),
    h('td', {}, confirm),
  );
}

export function render(main, _params, query) {
  const periods = recentPeriods();
  const period = /^\d{4}-(0[1-9]|1[0-2])$/.test(query.get('period') ?? '') ? query.get('period') : periods[1];
  const body = h('div', { id: 'meters-body' });
  const missing = h('div', { id: 'meters-missing' });
  const status = h('p', { class: 'muted', role: 'status' });
  const select = h(
    'select',
    { id: 'period', name: 'period' },
    [...new Set([period, ...periods])].map((p) => h('option', { value: p, selected: p === period }, p)),
  );
  select.addEventListener('change', () => go(`#/meters?period=${select.value}`));
  const download = h('button', { type: 'button', class: 'secondary', id: 'meters-csv' }, t('meters.csv'));
  const dialect = () => (locale().startsWith('pl') ? 'pl' : 'en');
  download.addEventListener('click', () => {
    apiDownload(`/meters?period=${period}&format=csv&dialect=${dialect()}`, `meters-${period}.csv`).catch((err) =>
      setChildren(status, errorBox(`${t('app.error')}: ${err.message}`)),
    );
  });
  // A range of periods as one CSV: the last twelve up to the period shown, by default.
  const monthInput = (id, value) =>
    h('input', { type: 'month', id, name: id, value, required: true, pattern: '\\d{4}-\\d{2}', 'aria-describedby': 'meters-range-error' });
  const rangeFrom = monthInput('range-from', periods.filter((p) => p <= period).at(-1) ?? period);
  const rangeTo = monthInput('range-to', period);
  const rangeError = h('p', { class: 'field-error', id: 'meters-range-error', hidden: true });
  const rangeDownload = h('button', { type: 'button', class: 'secondary', id: 'meters-range-csv' }, t('meters.range.csv'));
  rangeDownload.addEventListener('click', () => {
    const from = rangeFrom.value;
    const to = rangeTo.value;
    const n = isMonth(from) && isMonth(to) ? monthRange(from, to, MAX_RANGE + 1).length : 0;
    const ok = n >= 1 && n <= MAX_RANGE;
    for (const el of [rangeFrom, rangeTo]) el.toggleAttribute('aria-invalid', !ok);
    rangeError.hidden = ok;
    rangeError.textContent = ok ? '' : t('meters.range.invalid', { max: MAX_RANGE });
    if (!ok) return;
    apiDownload(`/meters?from=${from}&to=${to}&format=csv&dialect=${dialect()}`, `meters-${from}_${to}.csv`).catch((err) =>
      setChildren(status, errorBox(`${t('app.error')}: ${err.message}`)),
    );
  });
  setChildren(
    main,
    h('h1', {}, t('meters.title')),
    h('p', {}, t('meters.intro')),
    h(
      'div',
      { class: 'filters-form' },
      h('div', { class: 'field' }, h('label', { for: 'period' }, t('meters.period')), select),
      h('div', { class: 'field buttons' }, download),
    ),
    h(
      'div',
      { class: 'filters-form', role: 'group', 'aria-label': t('meters.range.title') },
      h('div', { class: 'field' }, h('label', { for: 'range-from' }, t('meters.range.from')), rangeFrom),
      h('div', { class: 'field' }, h('label', { for: 'range-to' }, t('meters.range.to')), rangeTo),
      h('div', { class: 'field buttons' }, rangeDownload),
      rangeError,
    ),
    status,
    body,
    h('h2', {}, t('meters.missing.title')),
    missing,
  );
  document.title = `${t('meters.title')} · FleetDesk`;

  const confirm = async (deviceKey) => {
    try {
      await api(`/meters/${encodeURIComponent(deviceKey)}/${period}/confirm`, { method: 'POST', body: {} });
      await load();
    } catch (err) {
      setChildren(status, errorBox(`${t('app.error')}: ${err.message}`));
    }
  };
  const load = async () => {
    try {
      const [exp, miss] = await Promise.all([api(`/meters?period=${period}`), api('/meters/missing')]);
      const headers = [
        t('meters.col.device'),
        t('meters.col.counter'),
        t('meters.col.opening'),
        t('meters.col.closing'),
        t('meters.col.usage'),
        t('meters.col.billed'),
        t('meters.col.flags'),
        t('meters.col.confirmed'),
      ];
      setChildren(status, t('meters.count', { n: formatNumber(exp.rows.length) }));
      setChildren(
        body,
        exp.rows.length === 0
          ? h('p', {}, t('meters.empty'))
          : table(
              t('meters.title'),
              headers,
              exp.rows.map((r) => rowOf(r, confirm)),
              { class: 'meters' },
            ),
      );
      setChildren(
        missing,
        miss.devices.length === 0
          ? h('p', {}, t('meters.missing.none'))
          : table(
              t('meters.missing.title'),
              [t('meters.col.device'), t('meters.missing.last'), t('meters.missing.cutoff'), t('meters.missing.alerted')],
              miss.devices.map((d) =>
                h(
                  'tr',
                  {},
                  h('td', {}, h('a', { href: `#/devices/${encodeURIComponent(d.deviceKey)}` }, d.serial ?? d.deviceKey)),
                  h('td', {}, d.lastReadingAt ?? (d.neverReported ? t('meters.missing.never') : '—')),
                  h('td', {}, d.cutoff),
                  h('td', {}, d.alertRaisedAt ?? '—'),
                ),
              ),
            ),
        // Alerts raised and not yet cleared by a reading, also those of a cut-off already past.
        miss.alerts.length === 0
          ? null
          : table(
              t('meters.alerts.title'),
              [t('meters.col.device'), t('meters.period'), t('meters.missing.last'), t('meters.missing.alerted')],
              miss.alerts.map((a) =>
                h(
                  'tr',
                  { dataset: { alert: a.deviceKey } },
                  h('td', {}, h('a', { href: `#/devices/${encodeURIComponent(a.deviceKey)}` }, a.deviceKey)),
                  h('td', {}, a.period),
                  h('td', {}, a.lastReadingAt ?? '—'),
                  h('td', {}, a.raisedAt),
                ),
              ),
              { class: 'meter-alerts' },
            ),
      );
    } catch (err) {
      setChildren(body, errorBox(`${t('app.error')}: ${err.message}`), h('button', { type: 'button', onclick: () => void load() }, t('app.retry')));
    }
  };
  void load();
}
