/**
 * Agents: online/offline (and why: birth, will, shutdown, silent too long), since when, last
 * seen (relative and absolute), outbox depth (reports waiting on the agent while the broker was
 * away), agent version and host, devices polled. Reloads on the agents' online/offline events
 * and every 15 s (last seen and outbox depth change without events); relative times tick every 5 s.
 *
 *   #/agents?state=online|offline
 */
import { apiAll } from '../api.js';
import { errorBox, h, setChildren, table } from '../dom.js';
import { formatDateTime, formatNumber, locale, t } from '../i18n.js';
import { onLive } from '../live.js';
import { relativeTime } from '../timeAgo.js';

const RELOAD_MS = 15_000;
const TICK_MS = 5_000;
/** An outbox this deep means the agent has been cut off from the broker for a while. */
const OUTBOX_ALARM = 100;

function ago(iso, cls = '') {
  const ms = Date.parse(iso);
  return h(
    'time',
    { datetime: iso, class: `ago ${cls}`.trim(), title: formatDateTime(ms), dataset: { at: String(ms) } },
    relativeTime(ms, Date.now(), locale()),
  );
}

function refreshAgo(root) {
  const now = Date.now();
  for (const el of root.querySelectorAll('time.ago[data-at]')) el.textContent = relativeTime(Number(el.dataset.at), now, locale());
}

function outbox(depth) {
  if (depth === undefined || depth === null) return h('span', { class: 'muted' }, '—');
  const level = depth === 0 ? 'ok' : depth >= OUTBOX_ALARM ? 'bad' : 'some';
  return h(
    'span',
    { class: `outbox outbox-${level}`, title: t(`agents.outbox.${level}`) },
    formatNumber(depth),
    level === 'ok' ? null : h('span', { class: 'visually-hidden' }, ` (${t(`agents.outbox.${level}`)})`),
  );
}

function row(a, names) {
  return h(
    'tr',
    { dataset: { agent: a.key, state: a.state } },
    h('td', {}, h('strong', {}, a.agentId), h('div', { class: 'small muted' }, a.hostname ?? '', a.hostname ? ' · ' : '', a.tenant)),
    h('td', {}, h('div', {}, names.customers.get(a.customerId) ?? a.customerId), h('div', { class: 'small muted' }, names.sites.get(a.siteId) ?? a.siteId)),
    h(
      'td',
      {},
      h('span', { class: `badge agent-${a.state}` }, t(`agentstate.${a.state}`)),
      h('div', { class: 'small muted' }, t(`agents.reason.${a.stateReason}`), ' · ', t('device.since', { at: formatDateTime(a.since) })),
    ),
    h('td', {}, ago(a.lastSeen), h('div', { class: 'small muted' }, formatDateTime(a.lastSeen))),
    h('td', { class: 'num' }, outbox(a.outboxDepth)),
    h('td', {}, a.agentVersion ?? '—', a.startedAt ? h('div', { class: 'small muted' }, t('agents.started', { at: formatDateTime(a.startedAt) })) : null),
    h(
      'td',
      { class: 'num' },
      a.devices === undefined ? '—' : h('a', { href: `#/fleet?site=${encodeURIComponent(a.siteId)}`, title: t('agents.devicesLink') }, formatNumber(a.devices)),
    ),
  );
}

export function render(main, _params, query) {
  const state = ['online', 'offline'].includes(query.get('state')) ? query.get('state') : '';
  const counts = h('nav', { class: 'filters', 'aria-label': t('queue.filters') });
  const body = h('div', { id: 'agents-body' });
  setChildren(main, h('h1', {}, t('agents.title')), h('p', { class: 'muted' }, t('agents.intro')), counts, body);

  let names = null;
  let loading = false;
  const load = async () => {
    if (loading) return;
    loading = true;
    try {
      if (!names) {
        const [customers, sites] = await Promise.all([apiAll('/customers'), apiAll('/sites')]);
        names = { customers: new Map(customers.items.map((c) => [c.id, c.name])), sites: new Map(sites.items.map((s) => [s.id, s.name])) };
      }
      const { items } = await apiAll('/agents', { pageSize: 500, maxPages: 20 });
      const online = items.filter((a) => a.state === 'online').length;
      const chip = (value, text) =>
        h('a', { class: 'chip', href: value ? `#/agents?state=${value}` : '#/agents', 'aria-current': state === value ? 'true' : null }, text);
      setChildren(
        counts,
        chip('', t('agents.all', { n: formatNumber(items.length) })),
        chip('online', t('agents.online', { n: formatNumber(online) })),
        chip('offline', t('agents.offline', { n: formatNumber(items.length - online) })),
      );
      const shown = state ? items.filter((a) => a.state === state) : items;
      setChildren(
        body,
        shown.length === 0
          ? h('p', { id: 'agents-empty' }, t('agents.empty'))
          : table(
              t('agents.title'),
              [
                t('agents.col.agent'),
                t('agents.col.where'),
                t('agents.col.state'),
                t('device.lastSeen'),
                t('agents.col.outbox'),
                t('agents.col.version'),
                t('agents.col.devices'),
              ],
              shown.map((a) => row(a, names)),
              { class: 'agents' },
            ),
        h('p', { class: 'small muted', id: 'agents-updated' }, t('agents.updated', { at: formatDateTime(Date.now()) })),
      );
    } catch (err) {
      setChildren(body, errorBox(`${t('app.error')}: ${err.message}`), h('button', { type: 'button', onclick: () => void load() }, t('app.retry')));
    } finally {
      loading = false;
    }
  };
  void load();
  const off = onLive((type) => {
    if (type === 'fleet.agentOnline' || type === 'fleet.agentOffline') void load();
  });
  const reload = setInterval(() => void load(), RELOAD_MS);
  const tick = setInterval(() => refreshAgo(body), TICK_MS);
  return () => {
    off();
    clearInterval(reload);
    clearInterval(tick);
  };
}
