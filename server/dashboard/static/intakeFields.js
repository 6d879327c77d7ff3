/**
 * The form that opens a ticket by hand, shared by the dispatcher's "new ticket" page and the
 * customer portal's "report a problem": device (from the customer's fleet), subject, description,
 * channel, contact, impact or contract level and when it happened, sent to POST /tickets; the
 * answer is shown as the new ticket with its deadline, or as a link to the open ticket of the
 * same device it duplicates. A refusal marks the field the API names.
 */
import { api, apiAll, encodeKey } from './api.js';
import { errorBox, h, setChildren } from './dom.js';
import { clearFieldErrors, field, formValues, markFieldError } from './forms.js';
import { formatDateTime, t, timeZone } from './i18n.js';
import { INTAKE_CHANNELS, intakeBody, intakeOutcome, severityChoices } from './intakeForm.js';
import { announce } from './nav.js';
import { deviceName } from './deviceName.js';
import { isoToWallTime } from './wallTime.js';

/** Device choices of one customer: "HP LaserJet M404 · SN123 · Warszawa" → device key. */
export async function deviceOptions(customerId) {
  const { items } = await apiAll(`/devices?customer=${encodeKey(customerId)}`, { pageSize: 500, maxPages: 4 });
  return items.map((d) => [
    d.key,
    [deviceName(d.identity.vendor, d.identity.model, d.key), d.identity.serial, d.identity.location].filter(Boolean).join(' · '),
  ]);
}

const severityOptions = (contract) => [
  ['', t('intake.severity.auto')],
  ...severityChoices(contract).map((c) => [c.id, c.kind === 'impact' ? t(`impact.${c.id}`) : `${c.id}: ${c.label}`]),
];

function replaceOptions(select, options, value) {
  setChildren(
    select,
    options.map(([v, text]) => h('option', { value: v }, text)),
  );
  if (value !== undefined && options.some(([v]) => v === value)) select.value = value;
}

/**
 * The form. `customers`: [{id, name, contract, contact}] (one for a customer token, fixed);
 * `contracts`: id → contract (vendor roles; customers cannot read contracts); `portal`: the
 * customer's own form (channel "portal", a device required, no customer choice).
 */
export function intakeForm({ customers, contracts = new Map(), portal = false, initialDevice = '' }) {
  const formId = portal ? 'report' : 'intake';
  const result = h('div', { id: `${formId}-result`, 'aria-live': 'polite' });
  const first = customers[0];
  const fields = [
    portal
      ? null
      : field(formId, { name: 'customer', label: t('intake.customer'), type: 'select', required: true, options: customers.map((c) => [c.id, c.name]) }),
    field(formId, { name: 'device', label: t('intake.device'), type: 'select', required: portal, options: [], hint: portal ? null : t('intake.deviceHint') }),
    field(formId, { name: 'subject', label: t('intake.subject'), type: 'text', required: true, max: 200 }),
    field(formId, { name: 'description', label: portal ? t('portal.report.description') : t('intake.description'), type: 'textarea', required: true }),
    portal
      ? null
      : field(formId, {
          name: 'channel',
          label: t('intake.channel'),
          type: 'select',
          required: true,
          options: INTAKE_CHANNELS.map((c) => [c, t(`intake.channel.${c}`)]),
        }),
    field(formId, {
      name: 'severity',
      label: portal ? t('intake.severity.portal') : t('intake.severity'),
      type: 'select',
      options: [],
      hint: portal ? t('intake.severity.portalHint') : t('intake.severityHint'),
    }),
    h(
      'fieldset',
      { class: 'contact' },
      h('legend', {}, t('intake.contact')),
      field(formId, { name: 'contact.name', label: t('intake.contact.name'), type: 'text', max: 200 }),
      field(formId, { name: 'contact.phone', label: t('intake.contact.phone'), type: 'tel', max: 64 }),
      field(formId, { name: 'contact.email', label: t('intake.contact.email'), type: 'email', max: 320 }),
    ),
    field(formId, {
      name: 'occurredAt',
      label: t('intake.occurredAt'),
      type: 'datetime-local',
      value: isoToWallTime(Date.now(), timeZone()),
      hint: t('intake.occurredAtHint', { zone: timeZone() }),
    }),
  ];
  const button = h('button', { type: 'submit', id: `${formId}-submit` }, portal ? t('portal.report.submit') : t('intake.submit'));
  const form = h('form', { class: 'intake', id: formId, novalidate: true }, fields, h('div', { class: 'action-buttons' }, button));
  const el = (name) => form.elements.namedItem(name);

  const customerOf = () => (portal ? first : (customers.find((c) => c.id === el('customer').value) ?? first));
  const fillCustomer = async (device) => {
    const c = customerOf();
    if (!c) return;
    replaceOptions(el('severity'), severityOptions(contracts.get(c.contract)));
    const contact = c.contact ?? {};
    el('contact.name').value = contact.name ?? '';
    el('contact.phone').value = contact.phone ?? '';
    el('contact.email').value = contact.email ?? '';
    try {
      const devices = await deviceOptions(c.id);
      replaceOptions(el('device'), [['', portal ? t('portal.report.pickDevice') : t('intake.noDevice')], ...devices], device);
    } catch (err) {
      setChildren(result, errorBox(`${t('app.error')}: ${err.message}`));
    }
  };
  if (!portal) el('customer').addEventListener('change', () => void fillCustomer());
  const ready = fillCustomer(initialDevice);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    setChildren(result);
    const values = formValues(form);
    const body = intakeBody(values, { zone: timeZone(), ...(portal ? { customer: first.id } : {}) });
    if (portal) body.channel = 'portal';
    button.disabled = true;
    try {
      const out = intakeOutcome(await api('/tickets', { method: 'POST', body }));
      const href = portal ? `#/portal/tickets/${encodeURIComponent(out.ticketId)}` : `#/tickets/${encodeURIComponent(out.ticketId)}`;
      const msg = out.kind === 'duplicate' ? t('intake.duplicate', { id: out.ticketId }) : t('intake.opened', { id: out.ticketId });
      setChildren(
        result,
        h(
          'div',
          { class: out.kind === 'duplicate' ? 'notice warning-text' : 'notice ok-text', dataset: { outcome: out.kind, ticket: out.ticketId } },
          h('p', {}, msg, ' ', h('a', { href, id: `${formId}-ticket-link` }, t('intake.openTicket', { id: out.ticketId }))),
          out.deadlineAt ? h('p', { id: `${formId}-deadline` }, t('intake.deadline', { at: formatDateTime(out.deadlineAt) })) : null,
        ),
      );
      announce(msg);
      if (out.kind === 'opened') {
        for (const name of ['subject', 'description']) el(name).value = '';
      }
    } catch (err) {
      setChildren(result, errorBox(t('intake.failed', { status: err.status, message: err.message })));
      if (err.field) markFieldError(form, err.field, err.message);
    } finally {
      button.disabled = false;
    }
  });
  return { form, result, ready };
}
