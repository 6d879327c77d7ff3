/**
 * Ticket queue in the API's work-queue order (earliest running deadline first), with SLA
 * countdowns (amber from each ticket's own warning instant, red when breached), the filters
 * mine / ink & head / breached, and impact and queue selectors. Live events reload the rows.
 *
 *   #/queue?filter=all|mine|ink|breached&impact=critical&queue=support&offset=50
 */
import { api, apiAll, session } from '../api.js';
import { errorBox, h, table, setChildren } from '../dom.js';
import { formatDateTime, t } from '../i18n.js';
import { onLive } from '../live.js';
import { go } from '../nav.js';
import { countdown, impactBadge, statusBadge } from '../widgets.js';
import { deviceName } from '../deviceName.js';

const PAGE = 50;
/** The queue of ink system and print head faults (support-contracts §1; contract `queues.inkOrHead`). */
const INK_QUEUE = 'ink-head';
const IMPACTS = ['critical', 'high', 'medium', 'low'];

const FILTERS = {
  all: { label: 'queue.filter.all', query: {} },
  mine: { label: 'queue.filter.mine', query: { assignee: 'me' } },
  ink: { label: 'queue.filter.ink', query: { queue: INK_QUEUE } },
  breached: { label: 'queue.filter.breached', query: { breached: 'true' } },
};

/** Queue names of every contract (staff only: customers cannot read contracts), read once per session. */
let knownQueues = null;
async function queueNames() {
  if (knownQueues) return knownQueues;
  if (session.me?.role === 'customer') return [];
  try {
    const { items } = await apiAll('/contracts', { pageSize: 200, maxPages: 5 });
    knownQueues = [...new Set(items.flatMap((c) => Object.values(c.spec?.queues ?? {})))].sort();
  } catch {
    knownQueues = [INK_QUEUE];
  }
  return knownQueues;
}

function deviceText(s) {
  if (!s.device) return s.site.name;
  return deviceName(s.device.vendor, s.device.model, s.device.id);
}

/** The on-site clock of the ticket's unfinished visit: "On site by 7 Dec 2026, 14:00", late, or arrived. */
function onSiteLine(v) {
  if (!v) return null;
  const text =
    v.arrivedAt !== null
      ? t('queue.onSite.arrived', { at: formatDateTime(v.arrivedAt) })
      : v.dueAt === null
        ? t('queue.onSite.noTarget')
        : t('queue.onSite.due', { at: formatDateTime(v.dueAt) });
  return h(
    'div',
    { class: v.breached ? 'small onsite forecast-due' : 'small onsite', dataset: { onsite: v.visitId } },
    text,
    v.breached ? ` (${t('sla.breached')})` : '',
  );
}

function row(s) {
  return h(
    'tr',
    { dataset: { ticket: s.id } },
    h(
      'td',
      {},
      countdown(s.deadlineAt, { breached: s.breached, warnAt: s.warnAt ?? null, warned: s.warned ?? false }),
      s.deadlineAt === null ? null : h('div', { class: 'small muted' }, formatDateTime(s.deadlineAt)),
      onSiteLine(s.onSite),
    ),
    h('td', {}, impactBadge(s.impact)),
    h('td', {}, h('a', { href: `#/tickets/${encodeURIComponent(s.id)}` }, s.id), h('div', { class: 'small' }, s.title)),
    h('td', {}, statusBadge(s.status)),
    h('td', {}, s.queue),
    h('td', {}, h('div', {}, s.customer.name), h('div', { class: 'small muted' }, deviceText(s), s.device?.serial ? ` · ${s.device.serial}` : '')),
    h('td', {}, s.assignee ?? h('span', { class: 'muted' }, t('queue.unassigned'))),
  );
}

/** What the colours mean, in words (colour is never the only signal). */
function legend() {
  const item = (state, text) => h('li', {}, h('span', { class: `sla sla-${state}` }, h('span', { class: 'sla-dot', 'aria-hidden': 'true' }), text));
  return h(
    'ul',
    { class: 'inline-list sla-legend small', 'aria-label': t('queue.legend') },
    item('ok', t('sla.ok')),
    item('warning', t('queue.legend.warning')),
    item('breach', t('sla.breached')),
  );
}

export function render(main, _params, query) {
  const filter = FILTERS[query.get('filter')] ? query.get('filter') : 'all';
  const impact = IMPACTS.includes(query.get('impact')) ? query.get('impact') : '';
  const queue = filter === 'ink' ? INK_QUEUE : (query.get('queue') ?? '');
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const link = (f, o = 0, extra = { impact, queue: f === 'ink' ? '' : queue }) => {
    const qs = new URLSearchParams({ filter: f });
    if (extra.impact) qs.set('impact', extra.impact);
    if (extra.queue && f !== 'ink') qs.set('queue', extra.queue);
    if (o) qs.set('offset', String(o));
    return `#/queue?${qs}`;
  };
  const body = h('div', { id: 'queue-body' });
  const filters = h(
    'nav',
    { class: 'filters', 'aria-label': t('queue.filters') },
    // "Mine" means assigned to the caller: customers are never assignees.
    Object.entries(FILTERS)
      .filter(([id]) => id !== 'mine' || session.me?.role !== 'customer')
      .map(([id, f]) => h('a', { href: link(id), class: 'chip', 'aria-current': id === filter ? 'true' : null }, t(f.label))),
  );

  const impactSelect = h(
    'select',
    { id: 'queue-impact', name: 'impact' },
    h('option', { value: '' }, t('fleet.any')),
    IMPACTS.map((i) => h('option', { value: i, selected: i === impact }, t(`impact.${i}`))),
  );
  const queueSelect = h(
    'select',
    { id: 'queue-queue', name: 'queue', disabled: filter === 'ink' },
    h('option', { value: '' }, t('fleet.any')),
    queue ? h('option', { value: queue, selected: true }, queue) : null,
  );
  const form = h(
    'form',
    { class: 'filters-form', 'aria-label': t('queue.moreFilters') },
    h('div', { class: 'field' }, h('label', { for: 'queue-impact' }, t('queue.col.impact')), impactSelect),
    session.me?.role === 'customer' ? null : h('div', { class: 'field' }, h('label', { for: 'queue-queue' }, t('queue.col.queue')), queueSelect),
    h(
      'div',
      { class: 'field buttons' },
      h('button', { type: 'submit' }, t('fleet.apply')),
      impact || (queue && filter !== 'ink') ? h('a', { class: 'button secondary', href: link(filter, 0, { impact: '', queue: '' }) }, t('fleet.clear')) : null,
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go(link(filter, 0, { impact: impactSelect.value, queue: queueSelect.value }));
  });
  void queueNames().then((names) => {
    for (const n of names) if (n !== queue) queueSelect.append(h('option', { value: n }, n));
  });

  setChildren(main, h('h1', {}, t('queue.title')), filters, form, legend(), body);

  let loading = false;
  let again = false;
  const load = async () => {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const qs = new URLSearchParams({ ...FILTERS[filter].query, limit: String(PAGE), offset: String(offset) });
      if (impact) qs.set('impact', impact);
      if (queue) qs.set('queue', queue);
      const page = await api(`/tickets?${qs}`);
      const pager = h(
        'div',
        { class: 'pager' },
        offset > 0 ? h('a', { href: link(filter, Math.max(0, offset - PAGE)) }, t('page.prev')) : null,
        page.nextOffset !== null ? h('a', { href: link(filter, page.nextOffset) }, t('page.next')) : null,
      );
      setChildren(
        body,
        h('p', { class: 'muted', id: 'queue-count' }, t('queue.count', { shown: page.items.length, total: page.total })),
        page.items.length === 0
          ? h('p', {}, t('queue.empty'))
          : table(
              t('queue.title'),
              [
                t('queue.col.deadline'),
                t('queue.col.impact'),
                t('queue.col.ticket'),
                t('queue.col.status'),
                t('queue.col.queue'),
                t('queue.col.where'),
                t('queue.col.assignee'),
              ],
              page.items.map(row),
              { class: 'queue' },
            ),
        pager,
      );
    } catch (err) {
      setChildren(
        body,
        errorBox(`${t('app.error')}: ${err.message}${err.field ? ` (${err.field})` : ''}`),
        h('button', { type: 'button', onclick: () => void load() }, t('app.retry')),
      );
    } finally {
      loading = false;
      if (again) {
        again = false;
        void load();
      }
    }
  };
  void load();
  // Ticket events change the queue; fleet events do not (a fault opens a ticket notice of its own).
  let timer = null;
  const off = onLive((type) => {
    if (!type.startsWith('ticket.') && !type.startsWith('sla.')) return;
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 300);
  });
  return () => {
    off();
    clearTimeout(timer);
  };
}
