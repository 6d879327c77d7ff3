/**
 * SLA report: compliance per customer and month (GET /reports/compliance) for a range of months
 * and optionally one customer, as totals, two charts (compliance % per month per customer;
 * breached reaction targets per impact), a table, and a CSV download of the same rows
 * (GET /reports/compliance.csv, in the language's spreadsheet dialect); below, the monthly
 * statement of one customer (GET /reports/statement: billed work time, included hours,
 * overage). Customer tokens see only their own customer: the API scopes every row.
 *
 *   #/reports?since=2026-06&until=2026-11&customer=acme
 */
import { ApiError, apiAll, api, apiDownload, session } from '../api.js';
import { barChart, destroyCharts } from '../charts.js';
import { IMPACT_COLOURS } from '../chartModel.js';
import { errorBox, facts, h, setChildren, table } from '../dom.js';
import { formatDateTime, formatDuration, formatNumber, language, locale, t } from '../i18n.js';
import { onLive } from '../live.js';
import { announce, go } from '../nav.js';
import { breachSeries, complianceSeries, isMonth, monthOf, monthRange, totals } from '../reportModel.js';

/** Months shown by default: this one and the five before. */
const DEFAULT_MONTHS = 6;

const minutes = (m) => (m === null || m === undefined ? '—' : formatDuration(m * 60_000));
const pct = (p) => (p === null || p === undefined ? '—' : new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(p / 100));
const money = (grosze) =>
  grosze === null || grosze === undefined ? '—' : new Intl.NumberFormat(locale(), { style: 'currency', currency: 'PLN' }).format(grosze / 100);
/** "2026-11" → "lis 2026" / "Nov 2026". */
const monthName = (m) =>
  new Intl.DateTimeFormat(locale(), { month: 'short', year: 'numeric' }).format(new Date(Number(m.slice(0, 4)), Number(m.slice(5, 7)) - 1, 1));

function stat(label, value, id) {
  return h('li', { class: 'stat' }, h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value', id }, value));
}

export function render(main, _params, query) {
  if (session.me?.role === 'technician') {
    setChildren(main, h('h1', {}, t('reports.title')), h('p', {}, t('reports.forbidden')));
    return undefined;
  }
  const customerToken = session.me?.role === 'customer';
  const now = new Date();
  const until = isMonth(query.get('until')) ? query.get('until') : monthOf(now);
  const since = isMonth(query.get('since')) ? query.get('since') : monthOf(now, -(DEFAULT_MONTHS - 1));
  const customer = customerToken ? session.me.customerId : (query.get('customer') ?? '');
  const hash = (s, u, c) => {
    const qs = new URLSearchParams({ since: s, until: u });
    if (c && !customerToken) qs.set('customer', c);
    return `#/reports?${qs}`;
  };

  // Filters: a month range and (staff) a customer.
  const sinceInput = h('input', {
    type: 'month',
    id: 'rep-since',
    name: 'since',
    value: since,
    required: true,
    pattern: '\\d{4}-\\d{2}',
    'aria-describedby': 'rep-range-error',
  });
  const untilInput = h('input', {
    type: 'month',
    id: 'rep-until',
    name: 'until',
    value: until,
    required: true,
    pattern: '\\d{4}-\\d{2}',
    'aria-describedby': 'rep-range-error',
  });
  const customerSelect = h('select', { id: 'rep-customer', name: 'customer' }, h('option', { value: '' }, t('reports.allCustomers')));
  const rangeError = h('p', { class: 'field-error', id: 'rep-range-error', hidden: true });
  const csvButton = h('button', { type: 'button', class: 'secondary', id: 'rep-csv' }, t('reports.csv'));
  const form = h(
    'form',
    { class: 'filters-form', 'aria-label': t('queue.filters') },
    h('div', { class: 'field' }, h('label', { for: 'rep-since' }, t('reports.since')), sinceInput),
    h('div', { class: 'field' }, h('label', { for: 'rep-until' }, t('reports.until')), untilInput),
    customerToken ? null : h('div', { class: 'field' }, h('label', { for: 'rep-customer' }, t('ticket.customer')), customerSelect),
    h('div', { class: 'field buttons' }, h('button', { type: 'submit' }, t('fleet.apply')), csvButton),
    rangeError,
  );
  const csvStatus = h('div', { id: 'rep-csv-status', 'aria-live': 'polite' });
  const body = h('div', { id: 'reports-body' });
  const statementBox = h('section', { class: 'card', 'aria-labelledby': 'statement-h', id: 'statement' });
  setChildren(main, h('h1', {}, t('reports.title')), h('p', { class: 'muted' }, t('reports.intro')), form, csvStatus, body, statementBox);

  const checkRange = () => {
    const ok = isMonth(sinceInput.value) && isMonth(untilInput.value) && sinceInput.value <= untilInput.value;
    for (const el of [sinceInput, untilInput]) el.toggleAttribute('aria-invalid', !ok);
    rangeError.hidden = ok;
    rangeError.textContent = ok ? '' : t('reports.badRange');
    return ok;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (!checkRange()) {
      sinceInput.focus();
      return;
    }
    go(hash(sinceInput.value, untilInput.value, customerSelect.value));
  });
  csvButton.addEventListener('click', async () => {
    if (!checkRange()) return;
    csvButton.disabled = true;
    setChildren(csvStatus);
    try {
      const qs = new URLSearchParams({ since: sinceInput.value, until: untilInput.value, dialect: language() === 'pl' ? 'pl' : 'en' });
      if (!customerToken && customerSelect.value) qs.set('customer', customerSelect.value);
      const name = await apiDownload(`/reports/compliance.csv?${qs}`, 'sla-compliance.csv');
      setChildren(csvStatus, h('p', { class: 'ok-text' }, t('reports.csvDone', { name })));
      announce(t('reports.csvDone', { name }));
    } catch (err) {
      setChildren(csvStatus, errorBox(`${t('app.error')}: ${err.message}`));
    } finally {
      csvButton.disabled = false;
    }
  });

  let names = new Map();
  const nameOf = (id) => names.get(id) ?? id;

  const drawReport = (rows) => {
    const months = monthRange(since, until);
    const sum = totals(rows);
    destroyCharts(body);
    if (rows.length === 0) {
      setChildren(body, h('p', { class: 'card', id: 'reports-empty' }, t('reports.empty')));
      return;
    }
    const labels = months.map(monthName);
    setChildren(
      body,
      h(
        'ul',
        { class: 'stats', 'aria-label': t('reports.totals') },
        stat(t('reports.compliance'), pct(sum.compliancePercent), 'rep-total-compliance'),
        stat(t('reports.tickets'), formatNumber(sum.tickets)),
        stat(t('reports.met'), formatNumber(sum.met)),
        stat(t('reports.breached'), formatNumber(sum.breached)),
        stat(t('reports.pending'), formatNumber(sum.pending)),
      ),
      h(
        'div',
        { class: 'grid charts' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'chart-compliance-h' },
          h('h2', { id: 'chart-compliance-h' }, t('reports.chart.compliance')),
          barChart({
            title: t('reports.chart.compliance'),
            labels,
            series: complianceSeries(rows, months, nameOf),
            unit: 'percent',
            min: 0,
            max: 100,
            xLabel: t('reports.col.month'),
            format: pct,
            hideTitle: true,
          }),
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'chart-breaches-h' },
          h('h2', { id: 'chart-breaches-h' }, t('reports.chart.breaches')),
          barChart({
            title: t('reports.chart.breaches'),
            labels,
            series: breachSeries(rows, months, (i) => t(`impact.${i}`)).map((s) => ({ ...s, color: IMPACT_COLOURS[s.impact] })),
            unit: 'number',
            stacked: true,
            integer: true,
            hideTitle: true,
            xLabel: t('reports.col.month'),
            format: (v) => formatNumber(v),
          }),
          sum.breached === 0 ? h('p', { class: 'ok-text small' }, t('reports.noBreaches')) : null,
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'rep-table-h' },
        h('h2', { id: 'rep-table-h' }, t('reports.table')),
        table(
          t('reports.table'),
          [
            t('ticket.customer'),
            t('reports.col.month'),
            t('ticket.contract'),
            t('reports.tickets'),
            t('reports.met'),
            t('reports.breached'),
            t('reports.pending'),
            t('reports.notGuaranteed'),
            t('reports.compliance'),
            t('reports.col.firstResponse'),
            t('reports.col.resolve'),
            t('reports.col.fcr'),
          ],
          rows.map((r) =>
            h(
              'tr',
              { dataset: { customer: r.customerId, month: r.month } },
              h('td', {}, nameOf(r.customerId)),
              h('td', { class: 'nowrap' }, monthName(r.month)),
              h('td', {}, r.contractId),
              h('td', { class: 'num' }, formatNumber(r.tickets)),
              h('td', { class: 'num' }, formatNumber(r.met)),
              h('td', { class: 'num' }, formatNumber(r.breached)),
              h('td', { class: 'num' }, formatNumber(r.pending)),
              h('td', { class: 'num' }, formatNumber(r.notGuaranteed)),
              h('td', { class: 'num' }, h('strong', {}, pct(r.compliancePercent))),
              h(
                'td',
                { class: 'num small' },
                minutes(r.firstResponseMinutes.mean),
                h('br'),
                h('span', { class: 'muted' }, `p90 ${minutes(r.firstResponseMinutes.p90)}`),
              ),
              h('td', { class: 'num small' }, minutes(r.resolveMinutes.mean), h('br'), h('span', { class: 'muted' }, `p90 ${minutes(r.resolveMinutes.p90)}`)),
              h('td', { class: 'num' }, pct(r.fcrPercent), h('div', { class: 'small muted' }, `${formatNumber(r.fcrCount)}/${formatNumber(r.fcrEligible)}`)),
            ),
          ),
          { class: 'report' },
        ),
        h('p', { class: 'small muted' }, t('reports.note')),
      ),
    );
  };

  /** The statement of one customer for the last month of the range (customers: their own). */
  const drawStatement = async () => {
    const who = customer || (names.size === 1 ? [...names.keys()][0] : '');
    if (!who) {
      setChildren(statementBox, h('h2', { id: 'statement-h' }, t('reports.statement')), h('p', { class: 'muted' }, t('reports.statementPick')));
      return;
    }
    try {
      const s = await api(`/reports/statement?${new URLSearchParams({ customer: who, month: until })}`);
      setChildren(
        statementBox,
        h('h2', { id: 'statement-h' }, t('reports.statementOf', { customer: nameOf(who), month: monthName(until) })),
        facts([
          [t('reports.st.contract'), s.contractId],
          [t('reports.st.opened'), `${formatNumber(s.ticketsOpened)} (${t('reports.st.guaranteed', { n: formatNumber(s.ticketsGuaranteed) })})`],
          [t('reports.st.included'), minutes(s.includedMinutes)],
          [t('reports.st.counted'), minutes(s.countedMinutes)],
          [t('reports.st.overage'), minutes(s.overageMinutes)],
          [
            t('reports.st.amount'),
            s.hourlyRateGrosze === null ? undefined : `${money(s.overageAmountGrosze)} (${t('reports.st.rate', { rate: money(s.hourlyRateGrosze) })})`,
          ],
          [
            t('reports.st.cap'),
            s.capMinutes === null
              ? undefined
              : `${minutes(s.capUsedMinutes)} / ${minutes(s.capMinutes)}${s.capExhaustedAt ? ` · ${t('reports.st.capExhausted', { at: formatDateTime(s.capExhaustedAt) })}` : ''}`,
          ],
        ]),
        s.entries.length === 0
          ? h('p', { class: 'muted' }, t('ticket.noTimeEntries'))
          : table(
              t('reports.st.entries'),
              [
                t('ticket.col.at'),
                t('queue.col.ticket'),
                t('ticket.col.by'),
                t('ticket.channel'),
                t('ticket.minutes'),
                t('reports.st.billed'),
                t('ticket.timeNote'),
              ],
              s.entries.map((e) =>
                h(
                  'tr',
                  {},
                  h('td', { class: 'nowrap' }, formatDateTime(e.at)),
                  h('td', {}, h('a', { href: `#/tickets/${encodeURIComponent(e.ticketId)}` }, e.ticketId)),
                  h('td', {}, e.by),
                  h('td', {}, t(`channel.${e.channel}`)),
                  h('td', { class: 'num' }, formatNumber(e.minutes)),
                  h(
                    'td',
                    { class: 'num' },
                    formatNumber(e.billedMinutes),
                    e.countsAgainstIncluded ? null : h('div', { class: 'small muted' }, t('reports.st.notCounted')),
                  ),
                  h('td', {}, e.note),
                ),
              ),
              { showCaption: true },
            ),
      );
    } catch (err) {
      setChildren(statementBox, h('h2', { id: 'statement-h' }, t('reports.statement')), errorBox(`${t('app.error')}: ${err.message}`));
    }
  };

  const load = async () => {
    try {
      const customers = await apiAll('/customers', { pageSize: 500, maxPages: 4 });
      names = new Map(customers.items.map((c) => [c.id, c.name]));
      if (customerSelect.options.length === 1)
        for (const c of customers.items) customerSelect.append(h('option', { value: c.id, selected: c.id === customer }, c.name));
      const qs = new URLSearchParams({ since, until });
      if (customer && !customerToken) qs.set('customer', customer);
      const { items } = await apiAll(`/reports/compliance?${qs}`, { pageSize: 500, maxPages: 20 });
      drawReport(items);
      await drawStatement();
    } catch (err) {
      destroyCharts(body);
      const where = err instanceof ApiError && err.field ? ` (${err.field})` : '';
      setChildren(body, errorBox(`${t('app.error')}: ${err.message}${where}`), h('button', { type: 'button', onclick: () => void load() }, t('app.retry')));
    }
  };
  void load();

  // Tickets resolved, breached or answered change this month's figures: reload, at most every few seconds.
  let timer = null;
  const off = onLive((type) => {
    if (!['ticket.opened', 'ticket.resolved', 'ticket.closed', 'ticket.reopened', 'sla.breach', 'ticket.updated'].includes(type)) return;
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      void load();
    }, 3000);
  });
  return () => {
    off();
    clearTimeout(timer);
  };
}
