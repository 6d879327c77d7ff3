/**
 * Supplies to order: every supply that may run out (or waste box that may fill up) within the
 * chosen period by the early end of its forecast range, is already empty/full, or has an open
 * order ticket; earliest first, with the part to order, the forecast and its range, and a CSV
 * download of the same list (GET /api/v1/supplies/to-order?within=N[&format=csv]).
 *
 *   #/supplies?within=7|14|30
 */
import { apiAll, apiDownload } from '../api.js';
import { errorBox, h, setChildren, table } from '../dom.js';
import { formatPercent, locale, t, tCount } from '../i18n.js';
import { onLive } from '../live.js';
import { go } from '../nav.js';
import { forecastPhrase, urgency } from '../forecastModel.js';
import { deviceName } from '../deviceName.js';

const PERIODS = [7, 14, 30];

function row(r) {
  const f = r.forecast;
  const p = forecastPhrase(f, locale());
  const name = deviceName(r.vendor, r.model, r.deviceKey);
  return h(
    'tr',
    { dataset: { device: r.deviceKey, supply: String(f.supplyIndex) } },
    h(
      'td',
      {},
      h('a', { href: `#/devices/${encodeURIComponent(r.deviceKey)}` }, name),
      h('div', { class: 'small muted' }, [r.serial, r.location ?? r.address].filter(Boolean).join(' · ')),
    ),
    h('td', {}, f.name, f.partNumber ? h('div', { class: 'small muted' }, f.partNumber) : null),
    h('td', { class: 'num' }, f.levelNow === null ? '—' : formatPercent(f.levelNow)),
    h(
      'td',
      { class: `forecast forecast-${urgency(f)}` },
      t(p.key, p.vars),
      f.date ? h('div', { class: 'small muted' }, t('forecast.on', { date: f.date })) : null,
    ),
    h(
      'td',
      { class: 'small' },
      p.range ? t(p.range.key, p.range.vars) : '—',
      f.confidence ? h('div', { class: 'muted' }, t(`forecast.confidence.${f.confidence}`)) : null,
    ),
    h('td', {}, f.order?.status === 'open' ? h('a', { href: `#/tickets/${encodeURIComponent(f.order.ticketId)}` }, f.order.ticketId) : '—'),
  );
}

export function render(main, _params, query) {
  const within = PERIODS.includes(Number(query.get('within'))) ? Number(query.get('within')) : 7;
  const body = h('div', { id: 'supplies-body' });
  const status = h('p', { class: 'muted', role: 'status' });
  const select = h(
    'select',
    { id: 'within', name: 'within' },
    PERIODS.map((d) => h('option', { value: String(d), selected: d === within }, t(`supplies.within.${d}`))),
  );
  select.addEventListener('change', () => go(`#/supplies?within=${select.value}`));
  const download = h('button', { type: 'button', class: 'secondary', id: 'supplies-csv' }, t('supplies.csv'));
  download.addEventListener('click', () => {
    apiDownload(`/supplies/to-order?within=${within}&format=csv&dialect=${locale().startsWith('pl') ? 'pl' : 'en'}`, `supplies-to-order.csv`).catch((err) =>
      setChildren(status, errorBox(`${t('app.error')}: ${err.message}`)),
    );
  });
  setChildren(
    main,
    h('h1', {}, t('supplies.title')),
    h('p', {}, t('supplies.intro')),
    h(
      'div',
      { class: 'filters-form' },
      h('div', { class: 'field' }, h('label', { for: 'within' }, t('supplies.within')), select),
      h('div', { class: 'field buttons' }, download),
    ),
    status,
    body,
  );
  document.title = `${t('supplies.title')} · FleetDesk`;

  const load = async () => {
    try {
      const page = await apiAll(`/supplies/to-order?within=${within}`);
      const headers = [
        t('supplies.col.device'),
        t('supplies.col.supply'),
        t('supplies.col.level'),
        t('supplies.col.forecast'),
        t('supplies.col.range'),
        t('supplies.col.order'),
      ];
      setChildren(status, tCount('supplies.count', page.total));
      setChildren(
        body,
        page.items.length === 0 ? h('p', {}, t('supplies.empty')) : table(t('supplies.title'), headers, page.items.map(row), { class: 'supplies-to-order' }),
      );
    } catch (err) {
      setChildren(body, errorBox(`${t('app.error')}: ${err.message}`), h('button', { type: 'button', onclick: () => void load() }, t('app.retry')));
    }
  };
  void load();
  let timer = null;
  const off = onLive((type) => {
    if (!type.startsWith('ticket.') && !type.startsWith('fleet.')) return;
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 1000);
  });
  return () => {
    off();
    clearTimeout(timer);
  };
}
