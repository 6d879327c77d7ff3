/**
 * One ticket in the customer portal: what was reported, its state and the deadlines the contract
 * promises (countdowns), the conversation (public comments and replies), the history, a reply
 * form (counts as the customer's answer when the service desk waits for one) and, once resolved,
 * "confirm the solution" and the final report.
 *
 *   #/portal/tickets/<id>
 */
import { api, session } from '../api.js';
import { errorBox, facts, h, setChildren, table } from '../dom.js';
import { clearFieldErrors, field, formValues, markFieldError } from '../forms.js';
import { formatDateTime, t } from '../i18n.js';
import { onLive } from '../live.js';
import { announce } from '../nav.js';
import { PORTAL_ACTIONS, portalActions } from '../portalModel.js';
import { countdown, historyCard, statusBadge } from '../widgets.js';
import { deviceName } from '../deviceName.js';
import { reportLinks } from '../finalReport.js';

function deadlines(tk) {
  const rows = ['reaction', 'resolution', 'onSite']
    .map((k) => [k, tk.sla[k]])
    .filter(([, c]) => c && c.deadlineAt !== null)
    .map(([k, c]) =>
      h(
        'tr',
        { dataset: { clock: k } },
        h('th', { scope: 'row' }, t(`sla.${k}`)),
        h('td', {}, formatDateTime(c.deadlineAt)),
        h(
          'td',
          {},
          c.state === 'running'
            ? countdown(c.deadlineAt, { breached: c.breached, warnAt: c.warnAt, warned: c.warned })
            : c.breached
              ? t('sla.breached')
              : c.state === 'stopped'
                ? t('sla.met')
                : t(`sla.state.${c.state}`),
        ),
      ),
    );
  return rows.length
    ? table(t('portal.deadlines'), [t('sla.col.clock'), t('sla.deadline'), t('sla.col.state')], rows)
    : h('p', { class: 'muted' }, t('portal.noDeadlines'));
}

export function render(main, [id]) {
  let current = null;
  const status = h('div', { id: 'portal-status', 'aria-live': 'polite' });

  const send = async (action, body, form, button) => {
    button.disabled = true;
    setChildren(status);
    if (form) clearFieldErrors(form);
    try {
      current = await api(`/tickets/${encodeURIComponent(id)}/${PORTAL_ACTIONS[action].path}`, { method: 'POST', body });
      draw();
      const msg = t(`portal.done.${action}`);
      setChildren(status, h('p', { class: 'ok-text' }, msg));
      announce(msg);
    } catch (err) {
      setChildren(status, errorBox(t('ticket.actionFailed', { status: err.status, message: err.message })));
      if (form && err.field) markFieldError(form, err.field, err.message);
      button.disabled = false;
    }
  };

  const actions = (tk) => {
    const allowed = portalActions(tk);
    if (!allowed.length) return h('p', { class: 'muted' }, t('portal.noActions'));
    const parts = [];
    if (allowed.includes('confirm')) {
      const b = h('button', { type: 'button', id: 'portal-confirm' }, t('portal.confirm'));
      b.addEventListener('click', () => void send('confirm', {}, null, b));
      parts.push(h('div', { class: 'action' }, h('p', {}, t('portal.confirmIntro')), b));
    }
    if (allowed.includes('reply')) {
      const button = h('button', { type: 'submit', id: 'portal-reply-submit' }, t('portal.reply.submit'));
      const form = h(
        'form',
        { class: 'action', id: 'portal-reply' },
        field('portal-reply', {
          name: 'text',
          label: tk.status === 'resolved' ? t('portal.reply.notFixed') : t('portal.reply'),
          type: 'textarea',
          required: true,
        }),
        h('div', { class: 'action-buttons' }, button),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        void send('reply', { text: String(formValues(form).text ?? '').trim() }, form, button);
      });
      parts.push(form);
    }
    return h('div', { class: 'actions' }, parts);
  };

  const draw = () => {
    const tk = current;
    setChildren(
      main,
      h('p', {}, h('a', { href: '#/portal' }, `← ${t('portal.back')}`)),
      h('h1', {}, `${tk.id}: ${tk.title}`),
      h(
        'p',
        { class: 'badges', id: 'ticket-badges' },
        statusBadge(tk.status),
        tk.resolution === 'customerConfirmed' ? [' ', h('span', { class: 'badge' }, t('portal.confirmed'))] : null,
      ),
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
              [
                t('ticket.device'),
                tk.device ? `${deviceName(tk.device.vendor, tk.device.model, tk.device.id)}${tk.device.serial ? ` (${tk.device.serial})` : ''}` : undefined,
              ],
              [t('ticket.site'), tk.site.name],
              [t('ticket.openedAt'), formatDateTime(tk.openedAt)],
              [t('ticket.resolvedAt'), tk.resolvedAt === null ? undefined : formatDateTime(tk.resolvedAt)],
            ]),
            tk.status === 'resolved' || tk.status === 'closed' ? reportLinks(tk.id) : null,
          ),
          h('section', { class: 'card', 'aria-labelledby': 'deadlines-h' }, h('h2', { id: 'deadlines-h' }, t('portal.deadlines')), deadlines(tk)),
        ),
        h('section', { class: 'card', 'aria-labelledby': 'reply-h' }, h('h2', { id: 'reply-h', tabindex: '-1' }, t('portal.yourAnswer')), actions(tk), status),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'conversation-h' },
        h('h2', { id: 'conversation-h' }, t('portal.conversation')),
        tk.comments.length === 0
          ? h('p', { class: 'muted' }, t('ticket.noComments'))
          : h(
              'ul',
              { class: 'plain comments' },
              tk.comments.map((c) => h('li', {}, h('p', { class: 'small muted' }, `${formatDateTime(c.at)} · ${c.by}`), h('p', {}, c.text))),
            ),
      ),
      historyCard(tk.history),
    );
    document.title = `${tk.id} · FleetDesk`;
  };

  const load = async () => {
    try {
      current = await api(`/tickets/${encodeURIComponent(id)}`);
      draw();
    } catch (err) {
      setChildren(main, h('p', {}, h('a', { href: '#/portal' }, `← ${t('portal.back')}`)), errorBox(`${t('app.error')}: ${err.message}`));
    }
  };
  if (session.me?.role !== 'customer') {
    setChildren(main, h('h1', {}, t('portal.title')), h('p', { class: 'muted' }, t('portal.customersOnly')));
    return;
  }
  void load();
  return onLive((type, data) => {
    const tid = data?.ticketId ?? data?.ticket?.id;
    if (tid !== id || (type === 'ticket.updated' && current && data.revision === current.revision)) return;
    void load();
  });
}
