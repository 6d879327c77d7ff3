/**
 * The dashboard shell: hash routes, the top bar (navigation, language, user, logout), the live
 * update stream, and the one-second SLA countdown tick. Each page module exports
 * `render(main, params, query)` and may return a cleanup function (called when leaving it).
 */
import { api, session, whenUnauthorized } from './api.js';
import { h, setChildren } from './dom.js';
import {
  browserTimeZone,
  language,
  loadFaultLabels,
  setLanguage,
  setSiteTimeZone,
  setTimeZoneChoice,
  siteTimeZone,
  t,
  timeZoneChoice,
  timeZoneShortName,
} from './i18n.js';
import { onLive, onLiveState, startLive, stopLive } from './live.js';
import { announce, go, homeHash } from './nav.js';
import { refreshCountdowns } from './widgets.js';
import { destroyCharts } from './charts.js';
import * as loginPage from './pages/login.js';
import * as queuePage from './pages/queue.js';
import * as ticketPage from './pages/ticket.js';
import * as fleetPage from './pages/fleet.js';
import * as devicePage from './pages/device.js';
import * as reportsPage from './pages/reports.js';
import * as agentsPage from './pages/agents.js';
import * as suppliesPage from './pages/supplies.js';
import * as metersPage from './pages/meters.js';
import * as newTicketPage from './pages/newTicket.js';
import * as portalPage from './pages/portal.js';
import * as portalTicketPage from './pages/portalTicket.js';
import * as visitsPage from './pages/visits.js';
import * as intakePage from './pages/intake.js';

const ROUTES = [
  { pattern: /^login$/, page: loginPage, public: true },
  { pattern: /^queue$/, page: queuePage, nav: 'queue' },
  { pattern: /^tickets\/new$/, page: newTicketPage, nav: 'newTicket' },
  { pattern: /^tickets\/([^/]+)$/, page: ticketPage, nav: 'queue' },
  { pattern: /^portal$/, page: portalPage, nav: 'portal' },
  { pattern: /^portal\/tickets\/([^/]+)$/, page: portalTicketPage, nav: 'portal' },
  { pattern: /^visits$/, page: visitsPage, nav: 'visits' },
  { pattern: /^intake$/, page: intakePage, nav: 'intake' },
  { pattern: /^intake\/([^/]+)$/, page: intakePage, nav: 'intake' },
  { pattern: /^fleet$/, page: fleetPage, nav: 'fleet' },
  { pattern: /^devices\/([^/]+)$/, page: devicePage, nav: 'fleet' },
  { pattern: /^reports$/, page: reportsPage, nav: 'reports' },
  { pattern: /^agents$/, page: agentsPage, nav: 'agents' },
  { pattern: /^supplies$/, page: suppliesPage, nav: 'supplies' },
  { pattern: /^meters$/, page: metersPage, nav: 'meters' },
];

/** Top bar links in order (one line per page: add yours here). */
const NAV = [
  // The customer's own service desk: report a problem, its tickets (customer tokens only).
  { id: 'portal', href: '#/portal', label: 'nav.portal', showFor: ['customer'] },
  { id: 'queue', href: '#/queue', label: 'nav.queue', hideFor: ['customer'] },
  { id: 'newTicket', href: '#/tickets/new', label: 'nav.newTicket', showFor: ['admin', 'dispatcher'] },
  { id: 'visits', href: '#/visits', label: 'nav.visits', showFor: ['technician'] },
  // E-mail the server could not put on a ticket by itself (server/api/intakeQueueRoutes.ts).
  { id: 'intake', href: '#/intake', label: 'nav.intake', showFor: ['admin', 'dispatcher'] },
  { id: 'fleet', href: '#/fleet', label: 'nav.fleet' },
  { id: 'supplies', href: '#/supplies', label: 'nav.supplies' },
  { id: 'meters', href: '#/meters', label: 'nav.meters' },
  { id: 'agents', href: '#/agents', label: 'nav.agents' },
  // Technicians have no reports:read permission (server/auth/access.ts).
  { id: 'reports', href: '#/reports', label: 'nav.reports', hideFor: ['technician'] },
];

const main = document.getElementById('main');
let cleanup = null;
let liveConnected = false;

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs = ''] = raw.split('?');
  return { path: path || homeHash(session.me).slice(2), query: new URLSearchParams(qs) };
}

async function ensureSession() {
  if (!session.token()) return false;
  if (session.me) return true;
  try {
    session.me = await api('/me');
    setSiteTimeZone(session.me.timeZone);
    return true;
  } catch {
    session.clear();
    return false;
  }
}

function renderChrome(active) {
  const signedIn = session.me !== null;
  document.getElementById('topbar').hidden = !signedIn;
  document.getElementById('skip-link').textContent = t('app.skip');
  document.getElementById('lang-label').textContent = t('app.language');
  document.getElementById('lang-select').value = language();
  document.getElementById('logout').textContent = t('app.logout');
  document.getElementById('zone-label').textContent = t('app.timeZone');
  const zoneSelect = document.getElementById('zone-select');
  // Both options name their zone, and the chosen one its current abbreviation (CET/CEST, UTC…).
  setChildren(
    zoneSelect,
    h('option', { value: 'site' }, t('app.timeZone.site', { zone: siteTimeZone() })),
    h('option', { value: 'browser' }, t('app.timeZone.browser', { zone: browserTimeZone() })),
  );
  zoneSelect.value = timeZoneChoice();
  document.getElementById('zone-now').textContent = timeZoneShortName();
  if (!signedIn) return;
  const me = session.me;
  setChildren(
    document.getElementById('whoami'),
    h('span', {
      class: 'live-dot',
      dataset: { on: liveConnected ? '1' : '' },
      title: liveConnected ? t('app.live.on') : t('app.live.off'),
      'aria-label': liveConnected ? t('app.live.on') : t('app.live.off'),
      role: 'img',
    }),
    ` ${me.name} (${t(`role.${me.role}`)})`,
  );
  const link = (id, href, text) => h('a', { href, 'aria-current': active === id ? 'page' : null }, text);
  setChildren(
    document.getElementById('nav'),
    h(
      'ul',
      {},
      NAV.filter((n) => !n.hideFor?.includes(me.role) && (!n.showFor || n.showFor.includes(me.role))).map((n) => h('li', {}, link(n.id, n.href, t(n.label)))),
    ),
  );
}

/** Bumped by every route(): a page whose data arrives after the user moved on must not paint over the new one. */
let routeGeneration = 0;

async function route() {
  const generation = ++routeGeneration;
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  destroyCharts(main);
  const signedIn = await ensureSession();
  if (generation !== routeGeneration) return;
  const { path, query } = parseHash();
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  if (!signedIn && !match?.r.public) {
    stopLive();
    location.replace('#/login');
    if (path === 'login') void route();
    return;
  }
  if (signedIn) startLive();
  renderChrome(match?.r.nav);
  document.title = 'FleetDesk';
  if (!match) {
    setChildren(
      main,
      h('h1', {}, t('app.error')),
      h('p', {}, t('app.notFound')),
      h('p', {}, h('a', { href: homeHash(session.me) }, t(session.me?.role === 'customer' ? 'nav.portal' : 'nav.queue'))),
    );
    return;
  }
  const params = match.m.slice(1).map((p) => decodeURIComponent(p));
  // Each page renders into a view of its own: a page still loading when the user moves on writes
  // into its detached view, never over the page shown now.
  const view = h('div', { class: 'view' }, h('p', { class: 'muted' }, t('app.loading')));
  setChildren(main, view);
  const result = await match.r.page.render(view, params, query);
  if (generation !== routeGeneration) {
    if (typeof result === 'function') result();
    return;
  }
  if (typeof result === 'function') cleanup = result;
  // Keyboard and screen-reader users land on the new page, not on the link they left.
  if (navigated && !match.r.public) main.focus({ preventScroll: false });
}

let navigated = false;

function logout() {
  stopLive();
  session.clear();
  session.me = null;
  go('#/login');
}

whenUnauthorized(() => {
  if (!session.me) return;
  session.me = null;
  session.clear();
  sessionStorage.setItem('fleetdesk.expired', '1');
  stopLive();
  go('#/login');
});

onLiveState((connected) => {
  liveConnected = connected;
  const dot = document.querySelector('.live-dot');
  if (dot) {
    dot.dataset.on = connected ? '1' : '';
    dot.title = connected ? t('app.live.on') : t('app.live.off');
    dot.setAttribute('aria-label', dot.title);
  }
});

onLive((type, data) => {
  const id = data?.ticketId ?? data?.ticket?.id;
  if (type === 'ticket.opened') announce(t('live.ticket.opened', { id }));
  else if (type === 'sla.breach') announce(t('live.sla.breach', { id }));
  else if (type === 'sla.warning') announce(t('live.sla.warning', { id }));
});

document.getElementById('lang-select').addEventListener('change', (e) => {
  setLanguage(e.target.value);
  void route();
});
document.getElementById('zone-select').addEventListener('change', (e) => {
  setTimeZoneChoice(e.target.value);
  void route();
});
document.getElementById('logout').addEventListener('click', logout);
window.addEventListener('hashchange', () => {
  navigated = true;
  void route();
});
setInterval(() => refreshCountdowns(main), 1000);

setLanguage(language());
await loadFaultLabels();
void route();
