/**
 * The service record on the device page: what a technician opens before a visit. Tickets with
 * their outcome, jams and other alerts per month, supply replacements with the pages printed on
 * each cartridge (against its rated yield where the device reports one), wear parts with their
 * forecast, firmware changes and identity events, and the page counters by type as a chart.
 * Data: GET /devices/{key}/service-record; the arithmetic is in serviceRecordModel.js.
 */
import { h, table } from './dom.js';
import { faultLabel, formatDateTime, formatNumber, formatPercent, t } from './i18n.js';
import { lineChart } from './charts.js';
import { counterSeries } from './forecastModel.js';
import { cartridgesNewestFirst, faultMonths, splitEvents, ticketOutcomeKey, yieldPercent } from './serviceRecordModel.js';

const card = (id, title, ...body) => h('section', { class: 'card', id, 'aria-labelledby': `${id}-h` }, h('h3', { id: `${id}-h` }, title), body);
const none = (key) => h('p', { class: 'muted' }, t(key));

function ticketsCard(rec) {
  return card(
    'sr-tickets',
    t('sr.tickets'),
    rec.tickets.length === 0
      ? none('sr.tickets.none')
      : table(
          t('sr.tickets'),
          [t('queue.col.ticket'), t('sr.col.opened'), t('sr.col.resolved'), t('sr.col.outcome')],
          rec.tickets.map((x) =>
            h(
              'tr',
              { dataset: { ticket: x.id, outcome: x.resolution ?? x.status } },
              h('td', {}, h('a', { href: `#/tickets/${encodeURIComponent(x.id)}` }, x.id), ' ', x.title),
              h('td', {}, formatDateTime(x.openedAt)),
              h('td', {}, x.resolvedAt ? formatDateTime(x.resolvedAt) : '—'),
              h('td', {}, t(ticketOutcomeKey(x))),
            ),
          ),
        ),
  );
}

function faultsCard(rec) {
  const months = faultMonths(rec.faultsPerMonth);
  return card(
    'sr-faults',
    t('sr.faults'),
    months.length === 0
      ? none('sr.faults.none')
      : table(
          t('sr.faults'),
          [t('sr.col.month'), t('sr.col.jams'), t('sr.col.alerts')],
          months.map((m) =>
            h(
              'tr',
              { dataset: { month: m.month } },
              h('td', {}, m.month),
              h('td', { class: 'num' }, formatNumber(m.jams)),
              h(
                'td',
                {},
                formatNumber(m.other),
                m.codes.length ? h('span', { class: 'small muted' }, ` · ${m.codes.map(([c, n]) => `${faultLabel(c)} ×${n}`).join(', ')}`) : null,
              ),
            ),
          ),
        ),
  );
}

function cartridgesCard(rec) {
  const rows = cartridgesNewestFirst(rec.cartridges);
  return card(
    'sr-cartridges',
    t('sr.cartridges'),
    rows.length === 0
      ? none('sr.cartridges.none')
      : table(
          t('sr.cartridges'),
          [t('sr.col.supply'), t('sr.col.since'), t('sr.col.until'), t('sr.col.pages'), t('sr.col.rated'), t('sr.col.yield')],
          rows.map((c) => {
            const share = yieldPercent(c);
            return h(
              'tr',
              { dataset: { supply: String(c.supplyIndex), since: c.since } },
              h('td', {}, c.name),
              h('td', {}, formatDateTime(c.since)),
              h('td', {}, c.until ? formatDateTime(c.until) : t('sr.inUse')),
              h('td', { class: 'num' }, c.pages === null ? '—' : formatNumber(c.pages)),
              h('td', { class: 'num' }, c.ratedPages === null ? '—' : formatNumber(c.ratedPages)),
              h('td', { class: 'num' }, share === null ? '—' : formatPercent(share)),
            );
          }),
        ),
  );
}

function partsCard(rec, forecastLine) {
  return card(
    'sr-parts',
    t('sr.parts'),
    rec.parts.length === 0
      ? none('sr.parts.none')
      : table(
          t('sr.parts'),
          [t('sr.col.part'), t('sr.col.level'), t('sr.col.forecast')],
          rec.parts.map((p) =>
            h(
              'tr',
              { dataset: { supply: String(p.supplyIndex), kind: p.kind } },
              h('td', {}, p.name, h('span', { class: 'small muted' }, ` · ${t(`partkind.${p.kind}`)}`)),
              h('td', {}, p.levelPercent === null ? '—' : formatPercent(p.levelPercent), ' · ', t(`supplystate.${p.state}`)),
              h('td', {}, forecastLine(p.forecast) ?? '—'),
            ),
          ),
        ),
  );
}

function firmwareCard(rec) {
  const { firmware, identity } = splitEvents(rec.events);
  const item = (e, text) => h('li', { dataset: { event: e.kind } }, h('time', { datetime: e.at }, formatDateTime(e.at)), ' · ', text);
  return card(
    'sr-firmware',
    t('sr.firmware'),
    h('p', { id: 'sr-firmware-now' }, rec.firmware ? t('sr.firmware.current', { v: rec.firmware }) : t('sr.firmware.unknown')),
    firmware.length === 0 && identity.length === 0
      ? none('sr.firmware.none')
      : h('ul', { class: 'plain' }, [
          ...firmware.map((e) => item(e, t('sr.event.firmware', { from: e.from ?? '?', to: e.to ?? '?' }))),
          ...identity.map((e) => item(e, [h('strong', {}, t(`sr.event.${e.kind}`)), h('div', { class: 'small muted' }, e.detail)])),
        ]),
  );
}

function countersCard(rec) {
  const series = counterSeries(rec);
  return card(
    'sr-counters',
    t('device.counterHistory'),
    series.length === 0
      ? none('device.noCounters')
      : lineChart({ title: t('device.counterHistory'), hideTitle: true, unit: 'number', integer: true, xLabel: t('chart.when'), series }),
  );
}

/** The service record section, or nothing when it could not be read. `forecastLine` renders a part's forecast. */
export function serviceRecordSection(rec, { forecastLine }) {
  if (!rec) return null;
  return h(
    'section',
    { id: 'service-record', 'aria-labelledby': 'service-record-h' },
    h('h2', { id: 'service-record-h' }, t('sr.title')),
    h('div', { class: 'grid' }, ticketsCard(rec), faultsCard(rec), firmwareCard(rec)),
    h('div', { class: 'grid' }, cartridgesCard(rec), partsCard(rec, forecastLine)),
    countersCard(rec),
  );
}
