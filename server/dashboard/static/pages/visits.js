/**
 * The technician's visits, made for a phone on site: my visits as cards (the one I am at first,
 * then by the on-site deadline), with the ticket, the site and the device, the target and a
 * countdown, one large button for the next step (arrived, left) and a work note recorded as
 * on-site work time on the ticket. Reloads on ticket events.
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
import { VISIT_STEPS, arrivalMet, nextVisitStep, orderVisits, visitState } from '../visitModel.js';
import { countdown } from '../widgets.js';

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

  const card = (v) => {
    const step = nextVisitStep(v);
    const state = visitState(v);
    const met = arrivalMet(v);
    const stepButton = step
      ? (() => {
          const b = h('button', { type: 'button', class: 'big', id: `visit-${v.id}-${step}` }, t(`visits.${step}`));
          b.addEventListener('click', async () => {
            b.disabled = true;
            try {
              await api(`/tickets/${encodeURIComponent(v.ticketId)}/visits/${encodeURIComponent(v.id)}/${VISIT_STEPS[step].path}`, { method: 'POST', body: {} });
              done(t(`visits.done.${step}`, { id: v.ticketId }));
              await load();
            } catch (err) {
              failed(err);
              b.disabled = false;
            }
          });
          return b;
        })()
      : null;
    const formId = `note-${v.id}`;
    const noteButton = h('button', { type: 'submit', class: 'secondary' }, t('visits.note.submit'));
    const note = h(
      'form',
      { class: 'action visit-note', id: formId },
      field(formId, { name: 'note', label: t('visits.note'), type: 'textarea', required: true, max: 2000 }),
      field(formId, { name: 'minutes', label: t('ticket.minutes'), type: 'number', required: true, min: '1', maxValue: '1440' }),
      h('div', { class: 'action-buttons' }, noteButton),
    );
    note.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(note);
      noteButton.disabled = true;
      try {
        await api(`/tickets/${encodeURIComponent(v.ticketId)}/${ACTIONS.timeEntry.path}`, { method: 'POST', body: ACTIONS.timeEntry.body({ ...formValues(note), channel: 'onsite' }) });
        done(t('visits.note.done', { id: v.ticketId }));
        note.reset();
      } catch (err) {
        failed(err, note);
      } finally {
        noteButton.disabled = false;
      }
    });
    return h(
      'article',
      { class: `card visit visit-${state}`, dataset: { visit: v.id, ticket: v.ticketId } },
      h('h2', {}, h('a', { href: `#/tickets/${encodeURIComponent(v.ticketId)}` }, v.ticketId), ' ', v.title ?? ''),
      h('p', { class: 'badges' }, h('span', { class: `badge visit-state-${state}` }, t(`visits.state.${state}`)), met === null ? null : [' ', h('span', { class: met ? 'badge ok' : 'badge impact-critical' }, met ? t('visits.met') : t('visits.late'))]),
      facts([
        [t('ticket.site'), v.site?.name ?? v.siteName],
        [t('visits.address'), v.site?.address ?? undefined],
        [t('ticket.device'), v.device?.name ?? v.deviceName],
        [t('visits.target'), v.targetAt ? h('span', {}, formatDateTime(v.targetAt), state === 'done' || state === 'onSite' ? null : [' ', countdown(new Date(v.targetAt).getTime())]) : undefined],
        [t('visits.scheduledFor'), v.scheduledFor ? formatDateTime(v.scheduledFor) : undefined],
        [t('visits.arrivedAt'), v.arrivedAt ? formatDateTime(v.arrivedAt) : undefined],
        [t('visits.departedAt'), v.departedAt ? formatDateTime(v.departedAt) : undefined],
      ]),
      stepButton,
      state === 'done' ? null : h('details', { class: 'action-group' }, h('summary', {}, t('visits.note.add')), note),
    );
  };

  const load = async () => {
    try {
      const { items } = await apiAll(`/visits?technician=${encodeURIComponent(session.me.name)}`, { pageSize: 200, maxPages: 2 });
      setChildren(list, items.length ? orderVisits(items).map(card) : h('p', { class: 'muted' }, t('visits.none')));
    } catch (err) {
      setChildren(list, errorBox(`${t('app.error')}: ${err.message}`));
    }
  };
  setChildren(main, h('h1', {}, t('visits.title')), h('p', { class: 'muted' }, t('visits.intro', { name: session.me.name })), status, list);
  void load();
  return onLive((type) => {
    if (type.startsWith('ticket.') || type.startsWith('visit.')) void load();
  });
}
