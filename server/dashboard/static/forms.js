/**
 * Forms of the pages: a labelled field with an error slot, the values of a form, and the API's
 * `field` of a refusal ("body.reason") marked on its control (aria-invalid, the message under
 * it, linked with aria-describedby) and focused.
 */
import { h } from './dom.js';
import { t } from './i18n.js';
import { fieldOfError } from './ticketActions.js';

/**
 * A form field: label, control, and an (initially empty) error slot the API's `field` fills.
 * spec: {name, label, type: text|textarea|select|checkbox|number|email|tel|datetime-local, required?,
 * options?, max?, min?, hint?, value? (initial value)}
 */
export function field(formId, spec) {
  const id = `${formId}-${spec.name}`;
  const errId = `${id}-error`;
  const common = { id, name: spec.name, 'aria-describedby': spec.hint ? `${id}-hint` : null, dataset: { errorId: errId } };
  let control;
  if (spec.type === 'textarea') control = h('textarea', { ...common, rows: '3', required: spec.required, maxlength: String(spec.max ?? 10_000) });
  else if (spec.type === 'select')
    control = h(
      'select',
      { ...common, required: spec.required },
      spec.options.map(([v, text]) => h('option', { value: v }, text)),
    );
  else if (spec.type === 'checkbox') return h('label', { class: 'check' }, h('input', { ...common, type: 'checkbox' }), ' ', spec.label);
  else if (spec.type === 'number')
    control = h('input', { ...common, type: 'number', inputmode: 'numeric', min: spec.min, max: spec.maxValue, step: '1', required: spec.required });
  else if (spec.type === 'datetime-local') control = h('input', { ...common, type: 'datetime-local', required: spec.required });
  else
    control = h('input', {
      ...common,
      type: spec.type === 'email' || spec.type === 'tel' ? spec.type : 'text',
      required: spec.required,
      maxlength: String(spec.max ?? 2000),
      list: spec.list ?? null,
    });
  if (spec.value !== undefined && spec.value !== null) control.value = spec.value;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, spec.label, spec.required ? null : h('span', { class: 'muted small' }, ` (${t('form.optional')})`)),
    spec.hint ? h('span', { class: 'small muted', id: `${id}-hint` }, spec.hint) : null,
    control,
    h('p', { class: 'field-error', id: errId, hidden: true }),
  );
}

export function formValues(form) {
  const v = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    v[el.name] = el.type === 'checkbox' ? el.checked : el.value;
  }
  return v;
}

export function clearFieldErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) {
    el.removeAttribute('aria-invalid');
    const rest = (el.getAttribute('aria-describedby') ?? '').split(' ').filter((x) => x && x !== el.dataset.errorId);
    if (rest.length) el.setAttribute('aria-describedby', rest.join(' '));
    else el.removeAttribute('aria-describedby');
  }
  for (const p of form.querySelectorAll('.field-error')) {
    p.hidden = true;
    p.textContent = '';
  }
}

/** Marks the control the API named (`body.minutes` → the "minutes" field), says why, and focuses it. */
export function markFieldError(form, apiField, message) {
  const name = fieldOfError(apiField);
  const el = name ? form.elements.namedItem(name) : null;
  if (!el || !(el instanceof HTMLElement)) return false;
  el.setAttribute('aria-invalid', 'true');
  const errEl = form.querySelector(`#${CSS.escape(el.dataset.errorId)}`);
  if (errEl) {
    errEl.textContent = message;
    errEl.hidden = false;
    el.setAttribute('aria-describedby', `${el.getAttribute('aria-describedby') ?? ''} ${el.dataset.errorId}`.trim());
  }
  el.focus();
  return true;
}
