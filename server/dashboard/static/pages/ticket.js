/**
 * One ticket: details, SLA clocks with countdowns, faults with their evidence, comments,
 * history, and the actions acknowledge / start / comment / resolve wired to the API. Errors of
 * an action (409 from the lifecycle, 400 naming the field) are shown next to the actions.
 */
import { api, session } from '../api.js';
import { errorBox, facts, h, table, setChildren } from '../dom.js';
import { faultLabel, formatDateTime, formatDuration, formatNumber, formatPercent, t } from '../i18n.js';
import { onLive } from '../live.js';
import { announce } from '../nav.js';
import { countdown, impactBadge, statusBadge } from '../widgets.js';

const OPEN = ['new', 'acknowledged', 'inProgress', 'waitingForCustomer'];

function clockRow(name, c) {
  if (!c) return null;
  const state = c.breached ? t('sla.breached') : c.state === 'stopped' ? t('sla.met') : t(`sla.state.${c.state}`);
  const running = c.state === 'running' && c.deadlineAt !== null;
  return h(
    'tr',
    {},
    h('th', { scope: 'row' }, t(name)),
    h('td', {}, c.targetMs === null ? t('sla.noTarget') : formatDuration(c.targetMs)),
    h('td', {}, state),
    h('td', {}, formatDateTime(c.deadlineAt), running ? h('div', {}, countdown(c.deadlineAt, { breached: c.breached, warnAt: c.warnAt })) : null),
  );
}

function slaSection(tk) {
  const s = tk.sla;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'sla-h' },
    h('h2', { id: 'sla-h' }, t('ticket.sla')),
    s.guaranteed ? null : h('p', { class: 'warning-text' }, t('sla.notGuaranteed', { reason: s.noGuaranteeReason ?? '' })),
    table(t('ticket.sla'), [t('sla.col.clock'), t('sla.target'), t('sla.col.state'), t('sla.deadline')], [clockRow('sla.reaction', s.reaction), clockRow('sla.resolution', s.resolution), clockRow('sla.onSite', s.onSite)]),
    h('p', { class: 'small muted' }, `${t('ticket.contract')}: ${s.contractId} · ${s.level}`),
  );
}

function evidence(f) {
  const e = f.evidence;
  return h(
    'li',
    { class: 'fault-item' },
    h('h3', {}, faultLabel(f.code), ' ', impactBadge(f.impact), ' ', h('span', { class: f.active ? 'badge fault-active' : 'badge fault-cleared' }, f.active ? t('ticket.fault.active') : t('ticket.fault.cleared', { at: formatDateTime(f.clearedAt) }))),
    facts([
      [t('ticket.fault.firstSeen'), formatDateTime(f.firstSeen)],
      [t('ticket.fault.occurrences'), formatNumber(f.occurrences)],
      [t('ticket.device'), f.deviceId],
      [t('ticket.fault.message'), e.message],
      [t('ticket.fault.source'), e.source],
      [t('ticket.fault.rawCode'), e.rawCode],
      [t('ticket.fault.stateReasons'), e.stateReasons?.length ? e.stateReasons.join(', ') : undefined],
    ]),
    e.supplies?.length
      ? table(t('ticket.fault.supplies'), [t('device.supplies'), '%', t('device.status')], e.supplies.map((s) => h('tr', {}, h('td', {}, s.name), h('td', {}, s.levelPercent === null ? '—' : formatPercent(s.levelPercent)), h('td', {}, t(`supplystate.${s.state}`)))), { showCaption: true })
      : null,
    e.counters && Object.keys(e.counters).length
      ? table(t('ticket.fault.counters'), [t('device.counters'), '#'], Object.entries(e.counters).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', { class: 'num' }, formatNumber(v)))), { showCaption: true })
      : null,
  );
}

/** A form for one action: fields, a submit button, and the call; the page re-renders after it. */
function actionForm(id, label, fields, call) {
  const button = h('button', { type: 'submit', id: `action-${id}` }, label);
  const form = h('form', { class: `action action-${id}` }, fields, button);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void call(form, button);
  });
  return form;
}

export function render(main, [id]) {
  let current = null;
  const status = h('div', { id: 'action-status', 'aria-live': 'polite' });

  const act = async (path, body, actionLabel, button) => {
    button.disabled = true;
    setChildren(status);
    try {
      current = await api(`/tickets/${encodeURIComponent(id)}/${path}`, { method: 'POST', body });
      const msg = t('ticket.done', { action: actionLabel });
      draw();
      setChildren(status, h('p', { class: 'ok-text' }, msg));
      announce(msg);
    } catch (err) {
      setChildren(status, errorBox(t('ticket.actionFailed', { status: err.status, message: err.message })));
      button.disabled = false;
    }
  };

  const actions = (tk) => {
    if (!['admin', 'dispatcher', 'technician'].includes(session.me?.role)) return h('p', { class: 'muted' }, t('ticket.readOnly'));
    if (!OPEN.includes(tk.status)) return h('p', { class: 'muted' }, t('ticket.noActions', { status: t(`status.${tk.status}`) }));
    const forms = [];
    if (tk.status === 'new') {
      const note = h('input', { id: 'ack-note', name: 'note', maxlength: '2000' });
      forms.push(actionForm('acknowledge', t('ticket.acknowledge'), [h('label', { for: 'ack-note' }, t('ticket.ackNote')), note], (_f, b) => act('acknowledge', note.value.trim() ? { note: note.value.trim() } : {}, t('ticket.acknowledge'), b)));
    }
    if (tk.status === 'new' || tk.status === 'acknowledged') forms.push(actionForm('start', t('ticket.start'), [], (_f, b) => act('start', {}, t('ticket.start'), b)));
    const text = h('textarea', { id: 'comment-text', name: 'text', rows: '3', required: true, maxlength: '10000' });
    const pub = h('input', { id: 'comment-public', type: 'checkbox', name: 'public' });
    forms.push(
      actionForm('comment', t('ticket.comment'), [h('label', { for: 'comment-text' }, t('ticket.commentText')), text, h('label', { class: 'check' }, pub, ' ', t('ticket.commentPublic'))], (_f, b) => act('comments', { text: text.value, public: pub.checked }, t('ticket.comment'), b)),
    );
    const solution = h('textarea', { id: 'solution', name: 'solution', rows: '3', required: true, maxlength: '10000' });
    forms.push(actionForm('resolve', t('ticket.resolve'), [h('label', { for: 'solution' }, t('ticket.solution')), solution], (_f, b) => act('resolve', { solution: solution.value }, t('ticket.resolve'), b)));
    return h('div', { class: 'actions' }, forms);
  };

  const draw = () => {
    const tk = current;
    const device = tk.device;
    const contact = tk.customer.contact;
    setChildren(
      main,
      h('p', {}, h('a', { href: '#/queue' }, `← ${t('ticket.back')}`)),
      h('h1', {}, `${tk.id}: ${tk.title}`),
      h('p', { class: 'badges', id: 'ticket-badges' }, statusBadge(tk.status), ' ', impactBadge(tk.impact), ' ', h('span', { class: 'badge' }, tk.queue)),
      h(
        'div',
        { class: 'grid ticket-grid' },
        h(
          'div',
          { class: 'stack' },
          h(
            'section',
            { class: 'card', 'aria-labelledby': 'details-h' },
            h('h2', { id: 'details-h' }, t('ticket.details')),
            facts([
              [t('ticket.customer'), tk.customer.name],
              [t('ticket.contact'), [contact.name, contact.phone, contact.email].filter(Boolean).join(' · ')],
              [t('ticket.site'), tk.site.name],
              [t('ticket.device'), device ? h('a', { href: `#/devices/${encodeURIComponent(device.id)}` }, [device.vendor, device.model].filter(Boolean).join(' ') || device.id, device.serial ? ` (${device.serial})` : '') : undefined],
              [t('ticket.openedAt'), formatDateTime(tk.openedAt)],
              [t('ticket.firstResponse'), tk.firstResponseAt === null ? '—' : formatDateTime(tk.firstResponseAt)],
              [t('ticket.assignee'), tk.assignee ?? t('queue.unassigned')],
              [t('ticket.tier'), tk.tier],
            ]),
          ),
          slaSection(tk),
        ),
        h('section', { class: 'card', 'aria-labelledby': 'actions-h' }, h('h2', { id: 'actions-h' }, t('ticket.actions')), actions(tk), status),
      ),
      h('section', { class: 'card', 'aria-labelledby': 'evidence-h' }, h('h2', { id: 'evidence-h' }, t('ticket.evidence')), h('ul', { class: 'plain' }, tk.faults.map(evidence))),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'comments-h' },
        h('h2', { id: 'comments-h' }, t('ticket.comments')),
        tk.comments.length === 0
          ? h('p', { class: 'muted' }, t('ticket.noComments'))
          : h('ul', { class: 'plain comments' }, tk.comments.map((c) => h('li', {}, h('p', { class: 'small muted' }, `${formatDateTime(c.at)} · ${c.by} · ${c.public ? t('ticket.public') : t('ticket.internal')}`), h('p', {}, c.text)))),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'history-h' },
        h('h2', { id: 'history-h' }, t('ticket.history')),
        table(t('ticket.history'), [t('ticket.col.at'), t('ticket.col.by'), t('ticket.col.what'), t('ticket.col.detail')], [...tk.history].reverse().map((e) => h('tr', {}, h('td', { class: 'nowrap' }, formatDateTime(e.at)), h('td', {}, e.by), h('td', {}, e.what), h('td', {}, e.detail)))),
      ),
    );
    document.title = `${tk.id} · FleetDesk`;
  };

  const load = async () => {
    try {
      current = await api(`/tickets/${encodeURIComponent(id)}`);
      draw();
    } catch (err) {
      setChildren(main, h('p', {}, h('a', { href: '#/queue' }, `← ${t('ticket.back')}`)), errorBox(`${t('app.error')}: ${err.message}`));
    }
  };
  void load();
  // Another operator's action or an SLA notice on this ticket: re-read it (keeps what is typed only if nothing changed).
  const off = onLive((type, data) => {
    const tid = data?.ticketId ?? data?.ticket?.id;
    if (tid !== id || (type === 'ticket.updated' && current && data.revision === current.revision)) return;
    void load();
  });
  return off;
}
