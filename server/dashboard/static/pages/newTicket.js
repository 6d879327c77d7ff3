/**
 * A ticket opened by hand by a dispatcher: a customer called, wrote or stopped by. The form
 * (intakeFields.js) sends POST /tickets; the answer shows the new ticket with its deadline, or the
 * open ticket of the same device it duplicates.
 *
 *   #/tickets/new?customer=acme&device=<key>
 */
import { apiAll, session } from '../api.js';
import { errorBox, h, setChildren } from '../dom.js';
import { t } from '../i18n.js';
import { intakeForm } from '../intakeFields.js';

export async function render(main, _params, query) {
  document.title = `${t('intake.title')} · FleetDesk`;
  if (!['admin', 'dispatcher'].includes(session.me?.role)) {
    setChildren(main, h('h1', {}, t('intake.title')), h('p', { class: 'muted' }, t('intake.notAllowed')));
    return;
  }
  try {
    const [{ items: customers }, { items: contracts }] = await Promise.all([
      apiAll('/customers', { pageSize: 500, maxPages: 4 }),
      apiAll('/contracts', { pageSize: 200, maxPages: 5 }),
    ]);
    customers.sort((a, b) => a.name.localeCompare(b.name));
    const wanted = query.get('customer');
    const ordered = wanted ? [...customers.filter((c) => c.id === wanted), ...customers.filter((c) => c.id !== wanted)] : customers;
    const { form, result } = intakeForm({ customers: ordered, contracts: new Map(contracts.map((c) => [c.id, c])), initialDevice: query.get('device') ?? '' });
    setChildren(
      main,
      h('p', {}, h('a', { href: '#/queue' }, `← ${t('ticket.back')}`)),
      h('h1', {}, t('intake.title')),
      h('p', { class: 'muted' }, t('intake.intro')),
      h('section', { class: 'card narrow' }, form, result),
    );
  } catch (err) {
    setChildren(main, h('h1', {}, t('intake.title')), errorBox(`${t('app.error')}: ${err.message}`));
  }
}
