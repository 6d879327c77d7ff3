/**
 * The technician's on-site visits, made for a phone: my visits as cards (the one I am at first,
 * then by arrival deadline) with the ticket, the site and the device, the arrival deadline with a
 * countdown and the planned time, one large button for the arrival, and on site a "leaving" form
 * with what was done (the departure note) and a work-time entry for billing. Dispatchers see every
 * visit. The rows come from the queue (`onSite` of each ticket); reloads on ticket events.
 *
 *   #/visits
 */
import { api, apiAll, session } from '../api.js';
import { errorBox, facts, h, setChildren } from '../dom.js';
import { clearFieldErrors, field, formValues, markFieldError } from '../forms.js';
import { formatDateTime, t } from '../i18n.js';
import { onLive } from '../live.js';
import { announce } from '../nav.js';
import { ACTIONS } from '../ticketActions.js';
import { myVisits, nextVisitStep, visitEndpoint, visitState } from '../visitModel.js';
import { countdown } from '../widgets.js';
import { deviceName } from '../deviceName.js';

export function render(main) {
  document.title = `${t('visits.title')} · FleetDesk`;
  const status = h('div', { id: 'visits-status', 'aria-live': 'polite' });
  const list = h('div', { class: 'visit-list', id: 'visit-list' });

  const done = (msg) => {
    setChildren(status, h('p', { class: 'ok-text' }, msg));
    announce(msg);
  };
  const failed = (err, form) => {
    setChildren(status, errorBox(t('ticket.actionFailed', { status: err.status, message: err.message })));
    if (form && err.field) markFieldError(form, err.field, err.message);
  };

  /** A form posting to `path` with `body(values)`; success reloads the list. */
  const postForm = (formId, fields, submitLabel, path, body, doneMsg, { method = 'POST', big = false } = {}) => {
    const button = h('button', { type: 'submit', class: big ? 'big' : 'secondary', id: `${formId}-submit` }, submitLabel);
    const form = h(
      'form',
      { class: 'action', id: formId },
      fields.map((f) => field(formId, f)),
      button,
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      button.disabled = true;
      try {
        await api(path, { method, body: body(formValues(form)) });
        done(doneMsg);
        await load();
      } catch (err) {
        failed(err, form);
        button.disabled = false;
      }
    });
    return form;
  };

  const card = (row) => {
    const v = row.onSite;
    const base = `/tickets/${encodeURIComponent(row.id)}`;
    const state = visitState(v);
    const step = nextVisitStep(v);
    const arrive = (() => {
      const b = h('button', { type: 'button', class: 'big', id: `visit-${row.id}-arrive` }, t('visits.arrive'));
      b.addEventListener('click', async () => {
        b.disabled = true;
        try {
          const ep = visitEndpoint('arrive', v.visitId);
          await api(`${base}/visits${ep.path}`, { method: ep.method, body: {} });
          done(t('visits.done.arrive', { id: row.id }));
          await load();
        } catch (err) {
          failed(err);
          b.disabled = false;
        }
      });
      return b;
    })();
    const depart = postForm(
      `depart-${row.id}`,
      [{ name: 'workDone', label: t('visits.workDone'), type: 'textarea', required: true, max: 10_000 }],
      t('visits.depart'),
      `${base}/visits${visitEndpoint('depart', v.visitId).path}`,
      (x) => ({ workDone: String(x.workDone ?? '').trim() }),
      t('visits.done.depart', { id: row.id }),
      { big: true },
    );
    const time = postForm(
      `time-${row.id}`,
      [
        { name: 'minutes', label: t('ticket.minutes'), type: 'number', required: true, min: '1', maxValue: '1440', hint: t('ticket.minutesHint') },
        { name: 'note', label: t('ticket.timeNote'), type: 'text', max: 2000 },
      ],
      t('ticket.timeEntry'),
      `${base}/${ACTIONS.timeEntry.path}`,
      (x) => ACTIONS.timeEntry.body({ ...x, channel: 'onsite' }),
      t('visits.time.done', { id: row.id }),
    );
    return h(
      'article',
      { class: `card visit visit-${state}`, dataset: { visit: v.visitId, ticket: row.id } },
      h('h2', {}, h('a', { href: `#/tickets/${encodeURIComponent(row.id)}` }, row.id), ' ', row.title),
      h(
        'p',
        { class: 'badges' },
        h('span', { class: 'badge' }, t(`visits.state.${state}`)),
        v.arrivedAt && v.breached ? [' ', h('span', { class: 'badge impact-critical' }, t('visits.late'))] : null,
      ),
      facts([
        [t('ticket.customer'), row.customer.name],
        [t('ticket.site'), row.site.name],
        [
          t('ticket.device'),
          row.device ? `${deviceName(row.device.vendor, row.device.model, row.device.id)}${row.device.serial ? ` (${row.device.serial})` : ''}` : undefined,
        ],
        [t('visits.technician'), me().role === 'technician' ? undefined : (v.technician ?? t('queue.unassigned'))],
        [
          t('visits.target'),
          v.dueAt === null
            ? t('sla.noTarget')
            : h('span', {}, formatDateTime(v.dueAt), v.arrivedAt ? null : [' ', countdown(v.dueAt, { breached: v.breached })]),
        ],
        [t('visits.plannedAt'), v.plannedAt === null ? undefined : formatDateTime(v.plannedAt)],
        [t('visits.arrivedAt'), v.arrivedAt === null ? undefined : formatDateTime(v.arrivedAt)],
      ]),
      step === 'arrive' ? arrive : depart,
      h('details', { class: 'action-group' }, h('summary', {}, t('ticket.timeEntry')), time),
    );
  };

  const me = () => session.me;
  const load = async () => {
    try {
      const { items } = await apiAll('/tickets', { pageSize: 200, maxPages: 5 });
      const visits = myVisits(items, me());
      setChildren(list, visits.length ? visits.map(card) : h('p', { class: 'muted' }, t('visits.none')));
    } catch (err) {
      setChildren(list, errorBox(`${t('app.error')}: ${err.message}`));
    }
  };
  setChildren(
    main,
    h('h1', {}, t('visits.title')),
    h('p', { class: 'muted' }, t(me().role === 'technician' ? 'visits.intro' : 'visits.introAll', { name: me().name })),
    status,
    list,
  );
  void load();
  return onLive((type) => {
    if (type.startsWith('ticket.') || type.startsWith('sla.')) void load();
  });
}
