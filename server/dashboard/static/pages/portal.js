/**
 * The customer portal (customer tokens): report a problem on one of the customer's devices, its
 * devices with their state, and its tickets (open ones by deadline, then resolved and closed ones)
 * with countdowns. Everything comes from the API with the customer's token, which sees its own
 * customer only. Reloads on ticket events.
 *
 *   #/portal?device=<key>   (the report form starts with that device)
 */
import { apiAll, session } from '../api.js';
import { errorBox, h, setChildren, table } from '../dom.js';
import { formatDateTime, t } from '../i18n.js';
import { intakeForm } from '../intakeFields.js';
import { onLive } from '../live.js';
import { portalTicketLists } from '../portalModel.js';
import { countdown, deviceStatusBadge, statusBadge } from '../widgets.js';
import { deviceName } from '../deviceName.js';

function ticketRows(list) {
  return list.map((s) =>
    h(
      'tr',
      { dataset: { ticket: s.id } },
      h('td', {}, h('a', { href: `#/portal/tickets/${encodeURIComponent(s.id)}` }, s.id), h('div', { class: 'small' }, s.title)),
      h('td', {}, statusBadge(s.status)),
      h('td', {}, s.device ? deviceName(s.device.vendor, s.device.model, s.device.id) : s.site.name),
      h('td', { class: 'nowrap' }, formatDateTime(s.openedAt)),
      h(
        'td',
        {},
        s.deadlineAt === null
          ? '—'
          : [
              countdown(s.deadlineAt, { breached: s.breached, warnAt: s.warnAt, warned: s.warned }),
              h('div', { class: 'small muted' }, formatDateTime(s.deadlineAt)),
            ],
      ),
    ),
  );
}

export async function render(main, _params, query) {
  document.title = `${t('portal.title')} · FleetDesk`;
  if (session.me?.role !== 'customer') {
    setChildren(main, h('h1', {}, t('portal.title')), h('p', { class: 'muted' }, t('portal.customersOnly')));
    return;
  }
  const ticketsBox = h('div', { id: 'portal-tickets' });
  const loadTickets = async () => {
    try {
      const { items } = await apiAll('/tickets', { pageSize: 200, maxPages: 5 });
      const { open, done } = portalTicketLists(items);
      const headers = [t('portal.col.ticket'), t('queue.col.status'), t('portal.col.device'), t('portal.col.opened'), t('portal.col.deadline')];
      setChildren(
        ticketsBox,
        h('h3', {}, t('portal.open')),
        open.length ? table(t('portal.open'), headers, ticketRows(open)) : h('p', { class: 'muted' }, t('portal.noOpen')),
        h('h3', {}, t('portal.done')),
        done.length ? table(t('portal.done'), headers, ticketRows(done)) : h('p', { class: 'muted' }, t('portal.noDone')),
      );
    } catch (err) {
      setChildren(ticketsBox, errorBox(`${t('app.error')}: ${err.message}`));
    }
  };
  try {
    const [{ items: customers }, { items: devices }] = await Promise.all([apiAll('/customers'), apiAll('/devices', { pageSize: 500, maxPages: 4 })]);
    // A customer the fleet does not list yet (no devices reported) still gets its portal, empty.
    const customer = customers.find((c) => c.id === session.me.customerId) ?? { id: session.me.customerId, name: session.me.customerId, contact: null };
    const { form, result } = intakeForm({ customers: [customer], portal: true, initialDevice: query.get('device') ?? '' });
    setChildren(
      main,
      h('h1', {}, t('portal.title')),
      h('p', { class: 'muted' }, t('portal.intro', { customer: customer.name })),
      h(
        'div',
        { class: 'grid ticket-grid' },
        h('section', { class: 'card', 'aria-labelledby': 'report-h' }, h('h2', { id: 'report-h' }, t('portal.report')), form, result),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'devices-h' },
          h('h2', { id: 'devices-h' }, t('portal.devices')),
          devices.length === 0
            ? h('p', { class: 'muted' }, t('portal.noDevices'))
            : table(
                t('portal.devices'),
                [t('portal.col.device'), t('device.status'), ''],
                devices.map((d) =>
                  h(
                    'tr',
                    { dataset: { device: d.key } },
                    h(
                      'td',
                      {},
                      deviceName(d.identity.vendor, d.identity.model, d.key),
                      h('div', { class: 'small muted' }, [d.identity.serial, d.identity.location].filter(Boolean).join(' · ')),
                    ),
                    h('td', {}, deviceStatusBadge(d.effectiveStatus)),
                    h('td', {}, h('a', { href: `#/portal?device=${encodeURIComponent(d.key)}` }, t('portal.reportThis'))),
                  ),
                ),
              ),
        ),
      ),
      h('section', { class: 'card', 'aria-labelledby': 'my-tickets-h' }, h('h2', { id: 'my-tickets-h' }, t('portal.tickets')), ticketsBox),
    );
    if (query.get('device')) form.elements.namedItem('subject')?.focus();
  } catch (err) {
    setChildren(main, h('h1', {}, t('portal.title')), errorBox(`${t('app.error')}: ${err.message}`));
    return;
  }
  await loadTickets();
  return onLive((type) => {
    if (type.startsWith('ticket.') || type.startsWith('sla.')) void loadTickets();
  });
}
