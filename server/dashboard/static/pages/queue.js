/**
 * Ticket queue in the API's work-queue order (earliest running deadline first), with SLA
 * countdowns and the filters mine / ink & head / breached. Live events reload the page of rows.
 */
import { api, session } from '../api.js';
import { errorBox, h, table, setChildren } from '../dom.js';
import { formatDateTime, t } from '../i18n.js';
import { onLive } from '../live.js';
import { countdown, impactBadge, statusBadge } from '../widgets.js';

const PAGE = 50;
/** The queue of ink system and print head faults (support-contracts §1; contract `queues.inkOrHead`). */
const INK_QUEUE = 'ink-head';

const FILTERS = {
  all: { label: 'queue.filter.all', query: {} },
  mine: { label: 'queue.filter.mine', query: { assignee: 'me' } },
  ink: { label: 'queue.filter.ink', query: { queue: INK_QUEUE } },
  breached: { label: 'queue.filter.breached', query: { breached: 'true' } },
};

function deviceText(s) {
  if (!s.device) return s.site.name;
  return [s.device.vendor, s.device.model].filter(Boolean).join(' ') || s.device.id;
}

function row(s) {
  return h(
    'tr',
    { dataset: { ticket: s.id } },
    h('td', {}, countdown(s.deadlineAt, { breached: s.breached }), s.deadlineAt === null ? null : h('div', { class: 'small muted' }, formatDateTime(s.deadlineAt))),
    h('td', {}, impactBadge(s.impact)),
    h('td', {}, h('a', { href: `#/tickets/${encodeURIComponent(s.id)}` }, s.id), h('div', { class: 'small' }, s.title)),
    h('td', {}, statusBadge(s.status)),
    h('td', {}, s.queue),
    h('td', {}, h('div', {}, s.customer.name), h('div', { class: 'small muted' }, deviceText(s), s.device?.serial ? ` · ${s.device.serial}` : '')),
    h('td', {}, s.assignee ?? h('span', { class: 'muted' }, t('queue.unassigned'))),
  );
}

export function render(main, _params, query) {
  const filter = FILTERS[query.get('filter')] ? query.get('filter') : 'all';
  const offset = Math.max(0, Number(query.get('offset')) || 0);
  const link = (f, o = 0) => `#/queue?filter=${f}${o ? `&offset=${o}` : ''}`;
  const body = h('div', { id: 'queue-body' });
  const filters = h(
    'nav',
    { class: 'filters', 'aria-label': t('queue.filters') },
    // "Mine" means assigned to the caller: customers are never assignees.
    Object.entries(FILTERS).filter(([id]) => id !== 'mine' || session.me?.role !== 'customer').map(([id, f]) => h('a', { href: link(id), class: 'chip', 'aria-current': id === filter ? 'true' : null }, t(f.label))),
  );
  setChildren(main, h('h1', {}, t('queue.title')), filters, body);

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
          : table(t('queue.title'), [t('queue.col.deadline'), t('queue.col.impact'), t('queue.col.ticket'), t('queue.col.status'), t('queue.col.queue'), t('queue.col.where'), t('queue.col.assignee')], page.items.map(row), { class: 'queue' }),
        pager,
      );
    } catch (err) {
      setChildren(body, errorBox(`${t('app.error')}: ${err.message}`), h('button', { type: 'button', onclick: () => void load() }, t('app.retry')));
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
