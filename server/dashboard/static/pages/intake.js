/**
 * The e-mail intake queue (dispatchers, admins): messages the server read but could not put on a
 * ticket by itself (unknown sender, another customer's ticket number, no sender, unreadable),
 * newest first, filtered by status. One item shows its text and attachments, and offers the three
 * ways out (server/api/intakeQueueRoutes.ts): assign to a customer (opens a ticket), attach to an
 * existing ticket (the customer's message there), or dismiss with a reason.
 *
 *   #/intake?status=unassigned
 *   #/intake/<item id>
 */
import { api, apiAll, session } from '../api.js';
import { errorBox, facts, h, setChildren, table } from '../dom.js';
import { clearFieldErrors, field, formValues, markFieldError } from '../forms.js';
import { formatDateTime, t } from '../i18n.js';
import { announce, go } from '../nav.js';
import { formatSize, INTAKE_ACTIONS, INTAKE_STATUSES, intakeActions, intakeExcerpt, senderLabel } from '../intakeModel.js';

const allowed = () => ['admin', 'dispatcher'].includes(session.me?.role);

export async function render(main, params, query) {
  document.title = `${t('mailIntake.title')} · FleetDesk`;
  if (!allowed()) {
    setChildren(main, h('h1', {}, t('mailIntake.title')), h('p', { class: 'muted' }, t('mailIntake.notAllowed')));
    return;
  }
  if (params[0]) return renderItem(main, params[0]);
  return renderList(main, INTAKE_STATUSES.includes(query.get('status')) ? query.get('status') : 'unassigned');
}

async function renderList(main, status) {
  const filter = h(
    'select',
    { id: 'intake-status', onchange: (e) => go(`#/intake?status=${e.target.value}`) },
    INTAKE_STATUSES.map((s) => h('option', { value: s, selected: s === status }, t(`mailIntake.status.${s}`))),
  );
  try {
    const { items, total } = await apiAll(`/intake?status=${status}`, { pageSize: 200, maxPages: 5 });
    setChildren(
      main,
      h('h1', {}, t('mailIntake.title')),
      h('p', { class: 'muted' }, t('mailIntake.intro')),
      h('p', {}, h('label', { for: 'intake-status' }, `${t('mailIntake.filter')} `), filter),
      h(
        'section',
        { class: 'card', id: 'intake-list', 'aria-labelledby': 'intake-list-h' },
        h('h2', { id: 'intake-list-h' }, t('mailIntake.count', { n: total })),
        items.length === 0
          ? h('p', { class: 'muted' }, t(`mailIntake.none.${status}`))
          : table(
              t('mailIntake.title'),
              [t('mailIntake.col.received'), t('mailIntake.col.from'), t('mailIntake.col.subject'), t('mailIntake.col.excerpt')],
              items.map((item) =>
                h(
                  'tr',
                  { dataset: { item: item.id } },
                  h('td', { class: 'nowrap' }, formatDateTime(item.receivedAt)),
                  h('td', {}, senderLabel(item) ?? t('mailIntake.noSender')),
                  h('td', {}, h('a', { href: `#/intake/${encodeURIComponent(item.id)}` }, item.subject || t('mailIntake.noSubject'))),
                  h('td', { class: 'small' }, intakeExcerpt(item.text), h('br'), h('span', { class: 'muted' }, item.reason)),
                ),
              ),
            ),
      ),
    );
  } catch (err) {
    setChildren(main, h('h1', {}, t('mailIntake.title')), errorBox(`${t('app.error')}: ${err.message}`));
  }
}

async function renderItem(main, id) {
  let item;
  let customers;
  try {
    [item, { items: customers }] = await Promise.all([api(`/intake/${encodeURIComponent(id)}`), apiAll('/customers', { pageSize: 500, maxPages: 4 })]);
  } catch (err) {
    setChildren(main, h('p', {}, h('a', { href: '#/intake' }, `← ${t('mailIntake.back')}`)), errorBox(`${t('app.error')}: ${err.message}`));
    return;
  }
  customers.sort((a, b) => a.name.localeCompare(b.name));
  const status = h('div', { id: 'intake-result', 'aria-live': 'polite' });

  const draw = (current, outcome = null) => {
    const actions = intakeActions(current);
    setChildren(
      main,
      h('p', {}, h('a', { href: '#/intake' }, `← ${t('mailIntake.back')}`)),
      h('h1', {}, current.subject || t('mailIntake.noSubject')),
      status,
      outcome,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'intake-facts-h' },
        h('h2', { id: 'intake-facts-h' }, t('mailIntake.message')),
        facts([
          [t('mailIntake.col.from'), senderLabel(current) ?? t('mailIntake.noSender')],
          [t('mailIntake.col.received'), formatDateTime(current.receivedAt)],
          [t('mailIntake.reason'), current.reason],
          [t('mailIntake.customerHint'), current.customerId ?? undefined],
          [t('mailIntake.statusLabel'), h('span', { id: 'intake-item-status', dataset: { status: current.status } }, t(`mailIntake.status.${current.status}`))],
          [t('mailIntake.ticket'), current.ticketId ? h('a', { href: `#/tickets/${encodeURIComponent(current.ticketId)}` }, current.ticketId) : undefined],
          [t('mailIntake.handledBy'), current.handledBy ? `${current.handledBy}, ${formatDateTime(current.handledAt)}` : undefined],
          [t('mailIntake.note'), current.note ?? undefined],
          [t('mailIntake.source'), `${current.source.mailbox} · UID ${current.source.uid} · ${formatSize(current.source.size)}`],
        ]),
        h('h3', {}, t('mailIntake.body')),
        h('pre', { class: 'mail-body', id: 'intake-body' }, current.text || t('mailIntake.noText')),
        h('h3', {}, t('mailIntake.attachments')),
        current.attachments.length === 0
          ? h('p', { class: 'muted' }, t('mailIntake.noAttachments'))
          : h(
              'ul',
              { id: 'intake-attachments' },
              current.attachments.map((a) => h('li', {}, `${a.filename ?? t('mailIntake.unnamed')} (${a.contentType}, ${formatSize(a.size)})`)),
            ),
        h('p', { class: 'small muted' }, t('mailIntake.attachmentsHint')),
      ),
      actions.length === 0 ? null : actionForms(current),
    );
  };

  const finish = (message, next, ticketId) => {
    const outcome = ticketId
      ? h('p', { class: 'ok-text', id: 'intake-outcome' }, message, ' ', h('a', { href: `#/tickets/${encodeURIComponent(ticketId)}` }, ticketId))
      : h('p', { class: 'ok-text', id: 'intake-outcome' }, message);
    announce(message);
    draw(next, outcome);
  };

  /** A form posting to /intake/{id}/{action}; the API's `field` of a refusal is marked on its control. */
  const actionForm = (action, title, fields, submitLabel, bodyOf, done) => {
    const formId = `intake-${action}`;
    const form = h(
      'form',
      { class: 'action', id: formId, 'aria-labelledby': `${formId}-h` },
      h('h3', { id: `${formId}-h` }, title),
      fields.map((f) => field(formId, f)),
      h('button', { type: 'submit', class: action === 'dismiss' ? 'secondary' : null }, submitLabel),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      setChildren(status);
      try {
        const out = await api(`/intake/${encodeURIComponent(item.id)}/${INTAKE_ACTIONS[action]}`, { method: 'POST', body: bodyOf(formValues(form)) });
        item = out.item ?? out;
        done(out);
      } catch (err) {
        setChildren(status, errorBox(t('ticket.actionFailed', { status: err.status, message: err.message })));
        if (err.field) markFieldError(form, err.field, err.message);
      }
    });
    return form;
  };

  const actionForms = (current) => {
    const hinted = current.customerId;
    const ordered = hinted ? [...customers.filter((c) => c.id === hinted), ...customers.filter((c) => c.id !== hinted)] : customers;
    const optional = (v) => (v.trim() === '' ? undefined : v.trim());
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'intake-actions-h' },
      h('h2', { id: 'intake-actions-h' }, t('mailIntake.actions')),
      actionForm(
        'assign',
        t('mailIntake.assign'),
        [
          {
            name: 'customer',
            label: t('mailIntake.customer'),
            type: 'select',
            required: true,
            options: ordered.map((c) => [c.id, c.id === hinted ? `${c.name} (${t('mailIntake.hinted')})` : c.name]),
          },
          { name: 'title', label: t('mailIntake.titleField'), type: 'text', max: 300, value: current.subject },
          { name: 'note', label: t('mailIntake.note'), type: 'text', max: 2000 },
        ],
        t('mailIntake.assignSubmit'),
        (v) => ({ customer: v.customer, title: optional(v.title), note: optional(v.note) }),
        (out) => finish(t('mailIntake.assigned'), out.item, out.ticket.id),
      ),
      actionForm(
        'attach',
        t('mailIntake.attach'),
        [
          { name: 'ticket', label: t('mailIntake.ticket'), type: 'text', required: true, max: 64, hint: t('mailIntake.attachHint') },
          { name: 'note', label: t('mailIntake.note'), type: 'text', max: 2000 },
        ],
        t('mailIntake.attachSubmit'),
        (v) => ({ ticket: v.ticket.trim(), note: optional(v.note) }),
        (out) => finish(t('mailIntake.attached'), out.item, out.ticket.id),
      ),
      actionForm(
        'dismiss',
        t('mailIntake.dismiss'),
        [{ name: 'reason', label: t('mailIntake.dismissReason'), type: 'textarea', required: true, max: 2000 }],
        t('mailIntake.dismissSubmit'),
        (v) => ({ reason: v.reason }),
        (next) => finish(t('mailIntake.dismissed'), next, null),
      ),
    );
  };

  draw(item);
}
