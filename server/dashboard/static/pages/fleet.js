/**
 * Fleet overview: device counts by status, search and filters (status, fault, site) passed to
 * the API, and the devices grouped per site with their faults and supply bars. Fleet events
 * reload the view (debounced).
 */
import { api, apiAll } from '../api.js';
import { errorBox, h, table, setChildren } from '../dom.js';
import { faultCodes, faultLabel, formatNumber, locale, t, tCount } from '../i18n.js';
import { onLive } from '../live.js';
import { go } from '../nav.js';
import { deviceStatusBadge, faultList, supplyBar } from '../widgets.js';
import { forecastPhrase, soonest, urgency } from '../forecastModel.js';
import { deviceName } from '../deviceName.js';

/** The most urgent supply forecast of a device: "Black Toner: runs out in 6 days". */
function forecastCell(d) {
  const f = soonest(d.forecasts);
  if (!f) return h('td', { class: 'small muted' }, '—');
  const p = forecastPhrase(f, locale());
  const range = p.range ? ` (${t(p.range.key, p.range.vars)})` : '';
  return h(
    'td',
    { class: `small forecast forecast-${urgency(f)}`, dataset: { forecast: f.status } },
    h('span', { class: 'muted' }, `${f.name}: `),
    t(p.key, p.vars),
    range,
  );
}

const STATUSES = ['down', 'warning', 'unreachable', 'unknown', 'printing', 'warmup', 'idle'];
/** Devices drawn at most (the API pages at 500; a bigger fleet is narrowed with the filters). */
const MAX_DEVICES = 2000;

function rowName(d) {
  return deviceName(d.identity.vendor, d.identity.model, d.agentDeviceId);
}

function deviceRow(d) {
  return h(
    'tr',
    { dataset: { device: d.key } },
    h(
      'td',
      {},
      h('a', { href: `#/devices/${encodeURIComponent(d.key)}` }, rowName(d)),
      h('div', { class: 'small muted' }, d.identity.serial ?? d.agentDeviceId),
    ),
    h('td', {}, deviceStatusBadge(d.effectiveStatus)),
    h('td', {}, faultList(d.faults.map((f) => f.code))),
    h(
      'td',
      { class: 'supplies-cell' },
      d.supplies.map((s) => supplyBar(s, { compact: true })),
    ),
    forecastCell(d),
    h('td', { class: 'small' }, d.identity.location ?? d.address ?? ''),
  );
}

export function render(main, _params, query) {
  const q = query.get('q') ?? '';
  const status = query.get('status') ?? '';
  const fault = query.get('fault') ?? '';
  const site = query.get('site') ?? '';
  const body = h('div', { id: 'fleet-body' });
  const summary = h('div', { id: 'fleet-summary' });

  const select = (id, label, value, options) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      h(
        'select',
        { id, name: id },
        h('option', { value: '' }, t('fleet.any')),
        options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
      ),
    );
  const siteSelect = select('site', t('fleet.site'), site, []);
  const form = h(
    'form',
    { class: 'filters-form', role: 'search' },
    h('div', { class: 'field grow' }, h('label', { for: 'q' }, t('fleet.search')), h('input', { id: 'q', name: 'q', type: 'search', value: q })),
    select(
      'status',
      t('fleet.status'),
      status,
      STATUSES.map((s) => [s, t(`devstatus.${s}`)]),
    ),
    select(
      'fault',
      t('fleet.fault'),
      fault,
      faultCodes().map((c) => [c, faultLabel(c)]),
    ),
    siteSelect,
    h(
      'div',
      { class: 'field buttons' },
      h('button', { type: 'submit' }, t('fleet.apply')),
      h('a', { href: '#/fleet', class: 'button secondary' }, t('fleet.clear')),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const next = new URLSearchParams();
    for (const k of ['q', 'status', 'fault', 'site']) {
      const v = String(data.get(k) ?? '').trim();
      if (v) next.set(k, v);
    }
    go(`#/fleet${next.size ? `?${next}` : ''}`);
  });
  setChildren(main, h('h1', {}, t('fleet.title')), summary, form, body);

  const load = async () => {
    try {
      const filters = new URLSearchParams();
      if (q) filters.set('q', q);
      if (status) filters.set('status', status);
      if (fault) filters.set('fault', fault);
      if (site) filters.set('site', site);
      const [sites, devices, all] = await Promise.all([
        apiAll('/sites'),
        apiAll(`/devices${filters.size ? `?${filters}` : ''}`, { maxPages: MAX_DEVICES / 500 }),
        // The status summary counts the whole visible fleet, not just the filtered rows.
        Promise.all(STATUSES.map((s) => api(`/devices?status=${s}&limit=1`).then((p) => [s, p.total]))),
      ]);
      const siteNames = new Map(sites.items.map((s) => [s.id, s.name]));
      const sel = siteSelect.querySelector('select');
      if (sel.options.length === 1) for (const s of sites.items) sel.append(h('option', { value: s.id, selected: s.id === site }, s.name));
      setChildren(
        summary,
        h('h2', { class: 'visually-hidden' }, t('fleet.byStatus')),
        h(
          'ul',
          { class: 'status-cards', 'aria-label': t('fleet.byStatus') },
          all.map(([s, n]) =>
            h(
              'li',
              {},
              h(
                'a',
                { href: `#/fleet?status=${s}`, class: `status-card dev-${s}`, 'aria-current': s === status ? 'true' : null },
                h('span', { class: 'count' }, formatNumber(n)),
                h('span', {}, t(`devstatus.${s}`)),
              ),
            ),
          ),
        ),
      );
      const bySite = new Map();
      for (const d of devices.items) {
        if (!bySite.has(d.siteId)) bySite.set(d.siteId, []);
        bySite.get(d.siteId).push(d);
      }
      const headers = [
        t('fleet.col.device'),
        t('fleet.col.status'),
        t('fleet.col.faults'),
        t('fleet.col.supplies'),
        t('fleet.col.forecast'),
        t('fleet.col.location'),
      ];
      setChildren(
        body,
        h('p', { class: 'muted', id: 'fleet-count' }, tCount('fleet.count', devices.total)),
        devices.items.length < devices.total ? h('p', { class: 'warning-text' }, t('fleet.truncated', { n: devices.items.length })) : null,
        devices.items.length === 0 ? h('p', {}, t('fleet.empty')) : null,
        [...bySite.entries()].map(([siteId, rows]) => {
          const name = siteNames.get(siteId) ?? siteId;
          return h(
            'section',
            { class: 'site', 'aria-label': name },
            h('h2', {}, name, h('span', { class: 'muted small' }, ` · ${tCount('fleet.count', rows.length)}`)),
            table(name, headers, rows.map(deviceRow), { class: 'fleet' }),
          );
        }),
      );
    } catch (err) {
      setChildren(body, errorBox(`${t('app.error')}: ${err.message}`), h('button', { type: 'button', onclick: () => void load() }, t('app.retry')));
    }
  };
  void load();
  let timer = null;
  const off = onLive((type) => {
    if (!type.startsWith('fleet.')) return;
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 1000);
  });
  return () => {
    off();
    clearTimeout(timer);
  };
}
