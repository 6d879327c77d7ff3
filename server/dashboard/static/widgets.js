/**
 * Small views shared by pages: status and impact badges, SLA countdowns, supply bars.
 */
import { h, table } from './dom.js';
import { faultLabel, formatDateTime, formatDuration, formatPercent, t } from './i18n.js';
import { countdownState } from './slaCountdown.js';

export function impactBadge(impact) {
  return h('span', { class: `badge impact-${impact}` }, t(`impact.${impact}`));
}

export function statusBadge(status) {
  return h('span', { class: `badge status-${status}`, 'data-status': status }, t(`status.${status}`));
}

export function deviceStatusBadge(status) {
  return h('span', { class: `badge dev-${status}` }, t(`devstatus.${status}`));
}

export function faultList(codes) {
  if (codes.length === 0) return h('span', { class: 'muted' }, t('fleet.noFaults'));
  return h(
    'ul',
    { class: 'inline-list' },
    codes.map((c) => h('li', {}, h('span', { class: 'fault', title: c }, faultLabel(c)))),
  );
}

/**
 * SLA countdown: text and colour class from the deadline, refreshed every second by
 * refreshCountdowns(). `warnAt`/`warned` (a ticket's clock, or a queue row's) set when it turns
 * amber; without them the fixed window FALLBACK_WARNING_MS is used (slaCountdown.js).
 */
export function countdown(deadlineAt, { breached = false, warnAt = null, warned = false } = {}) {
  if (deadlineAt === null || deadlineAt === undefined) return h('span', { class: 'sla sla-none' }, t('queue.noDeadline'));
  const el = h('span', {
    class: 'sla',
    dataset: { deadline: String(deadlineAt), breached: breached ? '1' : '', warned: warned ? '1' : '', warn: warnAt === null ? '' : String(warnAt) },
  });
  paintCountdown(el, Date.now());
  return el;
}

function paintCountdown(el, now) {
  const deadline = Number(el.dataset.deadline);
  const left = deadline - now;
  const warnAt = el.dataset.warn ? Number(el.dataset.warn) : null;
  const state = countdownState({ now, deadlineAt: deadline, warnAt, warned: Boolean(el.dataset.warned), breached: Boolean(el.dataset.breached) });
  el.className = `sla sla-${state}`;
  const text = left >= 0 ? t('sla.dueIn', { d: formatDuration(left) }) : t('sla.overdue', { d: formatDuration(left) });
  const label = state === 'breach' ? t('sla.breached') : state === 'warning' ? t('sla.warning') : t('sla.ok');
  el.replaceChildren(h('span', { class: 'sla-dot', 'aria-hidden': 'true' }), `${text} · ${label}`);
}

export function refreshCountdowns(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('.sla[data-deadline]')) paintCountdown(el, now);
}

const TONER = { black: '#1f1f1f', cyan: '#00a0d6', magenta: '#d1007a', yellow: '#f2c200' };

/** The bar colour: the toner/ink colour when known, grey for others; waste is drawn as fill. */
function supplyColour(s) {
  const name = (s.color ?? '').toLowerCase();
  for (const [k, v] of Object.entries(TONER)) if (name.includes(k)) return v;
  if (s.kind === 'waste') return '#7a5c3e';
  return '#5b6b7c';
}

function supplyText(s) {
  if (s.levelPercent === null) return t('supply.noLevel', { name: s.name, state: t(`supplystate.${s.state}`) });
  return s.kind === 'waste'
    ? t('supply.fill', { name: s.name, level: formatPercent(s.levelPercent) })
    : t('supply.level', { name: s.name, level: formatPercent(s.levelPercent) });
}

/** How bad a level is: consumables are bad when low, waste when full. */
function supplyAlarm(s) {
  if (['empty', 'full'].includes(s.state)) return 'bad';
  if (['low', 'nearFull'].includes(s.state)) return 'low';
  return 'ok';
}

/** One bar; `compact` draws the bar with the label as tooltip and accessible name only. */
export function supplyBar(s, { compact = false } = {}) {
  const level = s.levelPercent ?? 0;
  const text = supplyText(s);
  const bar = h(
    'span',
    {
      class: `bar bar-${supplyAlarm(s)}${s.kind === 'waste' ? ' bar-waste' : ''}${s.levelPercent === null ? ' bar-unknown' : ''}`,
      role: 'img',
      'aria-label': text,
      title: text,
    },
    h('span', { class: 'bar-fill', style: { width: `${level}%`, 'background-color': supplyColour(s) } }),
  );
  if (compact) return bar;
  return h(
    'div',
    { class: 'supply' },
    h('span', { class: 'supply-label', 'aria-hidden': 'true' }, text, s.partNumber ? h('span', { class: 'muted' }, ` · ${s.partNumber}`) : null),
    bar,
  );
}

/** A ticket's history, newest first: the same card on the staff ticket page and in the customer portal. */
export function historyCard(history) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'history-h' },
    h('h2', { id: 'history-h' }, t('ticket.history')),
    table(
      t('ticket.history'),
      [t('ticket.col.at'), t('ticket.col.by'), t('ticket.col.what'), t('ticket.col.detail')],
      [...history].reverse().map((e) =>
        h(
          'tr',
          {},
          h('td', { class: 'nowrap' }, formatDateTime(e.at)),
          h('td', {}, e.by),
          // Staff see which entries the customer does not (the portal never receives them).
          h('td', {}, e.what, e.visibility === 'internal' ? h('span', { class: 'muted small' }, ` · ${t('ticket.internal')}`) : null),
          h('td', {}, e.detail),
        ),
      ),
    ),
  );
}
