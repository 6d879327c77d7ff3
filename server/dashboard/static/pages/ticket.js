/**
 * One ticket: details, SLA clocks with countdowns, faults with their evidence, comments, time
 * entries, history, and every operator action of the API (acknowledge, start, assign, wait for
 * the customer, customer replied, contact attempt, escalate, comment, time entry, resolve,
 * close, reopen), offered only where the ticket's status and the caller's role allow it
 * (ticketActions.js). A refusal of the API (409 from the lifecycle, 400 naming the field) is
 * shown next to the actions, and the field at fault is marked and focused. After a success the
 * page shows the ticket the API returned, so the SLA clocks change at once.
 */
import { api, apiAll, session } from '../api.js';
import { errorBox, facts, h, table, setChildren } from '../dom.js';
import { faultLabel, formatDateTime, language, formatDuration, formatNumber, formatPercent, t, timeZone } from '../i18n.js';
import { onLive } from '../live.js';
import { announce } from '../nav.js';
import { ACTIONS, CONTACT_CHANNELS, WORK_CHANNELS, assignMode, availableActions } from '../ticketActions.js';
import { clearFieldErrors, field, formValues, markFieldError } from '../forms.js';
import { CORRECTIONS, availableCorrections, correctionBody, currentValue } from '../ticketCorrections.js';
import { severityChoices } from '../intakeForm.js';
import { deviceOptions } from '../intakeFields.js';
import { reportLinks } from '../finalReport.js';
import { visitEndpoint, visitState, visitSteps } from '../visitModel.js';
import { wallTimeToIso } from '../wallTime.js';
import { countdown, historyCard, impactBadge, statusBadge } from '../widgets.js';
import { deviceName } from '../deviceName.js';

function clockRow(name, c) {
  if (!c) return null;
  const state = c.breached ? t('sla.breached') : c.state === 'stopped' ? t('sla.met') : t(`sla.state.${c.state}`);
  const running = c.state === 'running' && c.deadlineAt !== null;
  return h(
    'tr',
    { dataset: { clock: name } },
    h('th', { scope: 'row' }, t(name)),
    h('td', {}, c.targetMs === null ? t('sla.noTarget') : formatDuration(c.targetMs)),
    h('td', {}, state),
    h(
      'td',
      {},
      formatDateTime(c.deadlineAt),
      running ? h('div', {}, countdown(c.deadlineAt, { breached: c.breached, warnAt: c.warnAt, warned: c.warned })) : null,
    ),
  );
}

function slaSection(tk) {
  const s = tk.sla;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'sla-h' },
    h('h2', { id: 'sla-h' }, t('ticket.sla')),
    s.guaranteed ? null : h('p', { class: 'warning-text' }, t('sla.notGuaranteed', { reason: s.noGuaranteeReason ?? '' })),
    tk.waiting
      ? h(
          'p',
          { class: 'warning-text', id: 'waiting-note' },
          t(s.resolution ? 'ticket.waitingSince' : 'ticket.waitingSinceNoClock', {
            at: formatDateTime(tk.waiting.since),
            n: formatNumber(tk.waiting.attempts.length),
          }),
        )
      : null,
    table(
      t('ticket.sla'),
      [t('sla.col.clock'), t('sla.target'), t('sla.col.state'), t('sla.deadline')],
      [clockRow('sla.reaction', s.reaction), clockRow('sla.resolution', s.resolution), clockRow('sla.onSite', s.onSite)],
    ),
    h('p', { class: 'small muted' }, `${t('ticket.contract')}: ${s.contractId} · ${s.level}`),
  );
}

function evidence(f) {
  const e = f.evidence;
  return h(
    'li',
    { class: 'fault-item' },
    // The server's label names the subunit too ("Toner empty — Magenta Cartridge"); older servers send none.
    h(
      'h3',
      {},
      f.label?.[language()] ?? faultLabel(f.code),
      ' ',
      impactBadge(f.impact),
      ' ',
      h(
        'span',
        { class: f.active ? 'badge fault-active' : 'badge fault-cleared' },
        f.active ? t('ticket.fault.active') : t('ticket.fault.cleared', { at: formatDateTime(f.clearedAt) }),
      ),
    ),
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
      ? table(
          t('ticket.fault.supplies'),
          [t('device.supplies'), '%', t('device.status')],
          e.supplies.map((s) =>
            h(
              'tr',
              {},
              h('td', {}, s.name),
              h('td', {}, s.levelPercent === null ? '—' : formatPercent(s.levelPercent)),
              h('td', {}, t(`supplystate.${s.state}`)),
            ),
          ),
          { showCaption: true },
        )
      : null,
    e.counters && Object.keys(e.counters).length
      ? table(
          t('ticket.fault.counters'),
          [t('device.counters'), '#'],
          Object.entries(e.counters).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', { class: 'num' }, formatNumber(v)))),
          { showCaption: true },
        )
      : null,
  );
}

export function render(main, [id]) {
  let current = null;
  const status = h('div', { id: 'action-status', 'aria-live': 'polite' });
  /** Which collapsible action groups are open, kept across re-renders (live updates, results). */
  const openGroups = new Set();

  /** POST (or `method`) /tickets/{id}/{path}; `path`: an action id of ticketActions.js, a correction's or a visit step's path. */
  const send = async (actionId, body, label, form, button, method = 'POST') => {
    button.disabled = true;
    setChildren(status);
    if (form) clearFieldErrors(form);
    try {
      const next = await api(`/tickets/${encodeURIComponent(id)}/${ACTIONS[actionId]?.path ?? actionId}`, { method, body });
      current = next;
      // The action is done; choices that cannot be read now just hide the corrections until the next load.
      await loadChoices(next).catch(() => {
        choices = null;
      });
      const msg = t('ticket.done', { action: label });
      draw();
      setChildren(status, h('p', { class: 'ok-text' }, msg));
      announce(msg);
      document.getElementById('actions-h')?.focus?.();
    } catch (err) {
      setChildren(status, errorBox(t('ticket.actionFailed', { status: err.status, message: err.message })));
      if (form && err.field) markFieldError(form, err.field, err.message);
      button.disabled = false;
    }
  };

  /** One action as a form. `group`: shown inside a <details> (less frequent actions). */
  const actionForm = (actionId, label, fields, { group = null, submitLabel = label, extraButtons = [] } = {}) => {
    const formId = `f-${actionId}`;
    const button = h('button', { type: 'submit', id: `action-${actionId}` }, submitLabel);
    const form = h(
      'form',
      { class: `action action-${actionId}`, id: formId },
      fields.map((f) => field(formId, f)),
      h('div', { class: 'action-buttons' }, button, extraButtons),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      void send(actionId, ACTIONS[actionId].body(formValues(form)), label, form, button);
    });
    if (!group) return form;
    const details = h('details', { class: 'action-group', id: `group-${actionId}`, open: openGroups.has(actionId) }, h('summary', {}, label), form);
    details.addEventListener('toggle', () => (details.open ? openGroups.add(actionId) : openGroups.delete(actionId)));
    return details;
  };

  /** A one-click action (no fields). */
  const actionButton = (actionId, label, body = {}, cls = '') => {
    const button = h('button', { type: 'button', id: `action-${actionId}`, class: cls || null }, label);
    button.addEventListener('click', () => void send(actionId, body, label, null, button));
    return button;
  };

  const assignControls = (tk, me) => {
    const mode = assignMode(tk, me);
    if (mode === 'take') return h('div', { class: 'action' }, actionButton('assign', t('ticket.take'), { assignee: me.name }, 'secondary'));
    if (mode === 'giveBack') return h('div', { class: 'action' }, actionButton('assign', t('ticket.giveBack'), { assignee: null }, 'secondary'));
    if (mode !== 'any') return null;
    const unassign =
      tk.assignee === null
        ? []
        : [
            (() => {
              const b = h('button', { type: 'button', class: 'secondary', id: 'action-unassign' }, t('ticket.unassign'));
              b.addEventListener('click', () => void send('assign', { assignee: null }, t('ticket.unassign'), null, b));
              return b;
            })(),
          ];
    return actionForm(
      'assign',
      t('ticket.assign'),
      [{ name: 'assignee', label: t('ticket.assignee'), type: 'text', required: true, max: 128, hint: t('ticket.assignHint', { me: me.name }) }],
      { group: true, extraButtons: unassign },
    );
  };

  const actions = (tk) => {
    const me = session.me;
    if (!['admin', 'dispatcher', 'technician'].includes(me?.role)) return h('p', { class: 'muted' }, t('ticket.readOnly'));
    const allowed = new Set(availableActions(tk, me));
    if (allowed.size === 0) return h('p', { class: 'muted' }, t('ticket.noActions', { status: t(`status.${tk.status}`) }));
    const has = (a) => allowed.has(a);
    const quick = [has('start') ? actionButton('start', t('ticket.start')) : null, has('close') ? actionButton('close', t('ticket.close')) : null].filter(
      Boolean,
    );
    const channelOptions = (list, prefix) => list.map((c) => [c, t(`${prefix}.${c}`)]);
    return h(
      'div',
      { class: 'actions' },
      has('acknowledge') ? actionForm('acknowledge', t('ticket.acknowledge'), [{ name: 'note', label: t('ticket.note'), type: 'text', max: 2000 }]) : null,
      quick.length ? h('div', { class: 'action-buttons' }, quick) : null,
      has('assign') ? assignControls(tk, me) : null,
      has('comment')
        ? actionForm('comment', t('ticket.comment'), [
            { name: 'text', label: t('ticket.commentText'), type: 'textarea', required: true },
            { name: 'public', label: t('ticket.commentPublic'), type: 'checkbox' },
          ])
        : null,
      has('resolve')
        ? actionForm('resolve', t('ticket.resolve'), [
            { name: 'solution', label: t('ticket.solution'), type: 'textarea', required: true },
            { name: 'confirmedByCustomer', label: t('ticket.confirmedByCustomer'), type: 'checkbox' },
          ])
        : null,
      has('waitForCustomer')
        ? actionForm(
            'waitForCustomer',
            t('ticket.waitForCustomer'),
            [{ name: 'question', label: t('ticket.question'), type: 'textarea', required: true, hint: t('ticket.waitHint') }],
            { group: true },
          )
        : null,
      has('customerReplied')
        ? actionForm('customerReplied', t('ticket.customerReplied'), [{ name: 'text', label: t('ticket.reply'), type: 'textarea', required: true }], {
            group: true,
          })
        : null,
      has('contactAttempt')
        ? actionForm(
            'contactAttempt',
            t('ticket.contactAttempt'),
            [
              { name: 'channel', label: t('ticket.contactChannel'), type: 'select', required: true, options: channelOptions(CONTACT_CHANNELS, 'contact') },
              { name: 'note', label: t('ticket.contactNote'), type: 'text', required: true, max: 2000 },
            ],
            { group: true },
          )
        : null,
      has('timeEntry')
        ? actionForm(
            'timeEntry',
            t('ticket.timeEntry'),
            [
              { name: 'channel', label: t('ticket.workChannel'), type: 'select', required: true, options: channelOptions(WORK_CHANNELS, 'channel') },
              { name: 'minutes', label: t('ticket.minutes'), type: 'number', required: true, min: '1', maxValue: '1440', hint: t('ticket.minutesHint') },
              { name: 'note', label: t('ticket.timeNote'), type: 'text', max: 2000 },
            ],
            { group: true },
          )
        : null,
      has('escalate')
        ? actionForm(
            'escalate',
            t('ticket.escalate'),
            [{ name: 'reason', label: t('ticket.reason'), type: 'textarea', required: true, max: 2000, hint: t('ticket.escalateHint', { tier: tk.tier }) }],
            { group: true },
          )
        : null,
      has('reopen')
        ? actionForm('reopen', t('ticket.reopen'), [{ name: 'reason', label: t('ticket.reason'), type: 'textarea', required: true, max: 2000 }], {
            group: true,
          })
        : null,
    );
  };

  /** Choices of the correction forms (contracts, customers, the customer's devices), read once per customer. */
  let choices = null;
  const loadChoices = async (tk) => {
    if (!availableCorrections(tk, session.me).length || choices?.customerId === tk.customer.id) return;
    const [contracts, customers, devices] = await Promise.all([
      apiAll('/contracts', { pageSize: 200, maxPages: 5 }),
      apiAll('/customers', { pageSize: 500, maxPages: 4 }),
      deviceOptions(tk.customer.id),
    ]);
    choices = { customerId: tk.customer.id, contracts: contracts.items, customers: customers.items, devices };
  };

  const corrections = (tk) => {
    const allowed = availableCorrections(tk, session.me);
    if (!allowed.length || !choices) return null;
    const contract = choices.contracts.find((c) => c.id === tk.sla.contractId);
    const queues = [...new Set([tk.queue, ...choices.contracts.flatMap((c) => Object.values(c.spec?.queues ?? {}))])].sort();
    const options = {
      impact: severityChoices(contract).map((c) => [c.id, c.kind === 'impact' ? t(`impact.${c.id}`) : `${c.id}: ${c.label}`]),
      contract: choices.contracts.map((c) => [c.id, c.name]),
      queue: queues.map((q) => [q, q]),
      device: [['', t('intake.noDevice')], ...choices.devices],
      customer: choices.customers.map((c) => [c.id, c.name]),
    };
    const form = (cid) => {
      const formId = `c-${cid}`;
      const button = h('button', { type: 'submit', id: `correct-${cid}` }, t('correct.submit'));
      const f = h(
        'form',
        { class: 'action', id: formId },
        field(formId, {
          name: CORRECTIONS[cid].field,
          label: t(`correct.${cid}.value`),
          type: 'select',
          required: cid !== 'device',
          options: options[cid],
          value: currentValue(cid, tk),
        }),
        field(formId, { name: 'reason', label: t('correct.reason'), type: 'textarea', required: true, max: 2000, hint: t('correct.reasonHint') }),
        h('div', { class: 'action-buttons' }, button),
      );
      f.addEventListener('submit', (e) => {
        e.preventDefault();
        void send(CORRECTIONS[cid].path, correctionBody(cid, formValues(f)), t(`correct.${cid}`), f, button);
      });
      const details = h(
        'details',
        { class: 'action-group', id: `group-correct-${cid}`, open: openGroups.has(`correct-${cid}`) },
        h('summary', {}, t(`correct.${cid}`)),
        f,
      );
      details.addEventListener('toggle', () => (details.open ? openGroups.add(`correct-${cid}`) : openGroups.delete(`correct-${cid}`)));
      return details;
    };
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'correct-h' },
      h('h2', { id: 'correct-h' }, t('correct.title')),
      h('p', { class: 'small muted' }, t('correct.intro')),
      h('div', { class: 'actions' }, allowed.map(form)),
    );
  };

  /** On-site visits: the list, and the steps the caller may record (request, schedule, arrival, departure). */
  const visits = (tk) => {
    const list = tk.visits ?? [];
    const steps = visitSteps(tk, session.me);
    if (list.length === 0 && steps.length === 0) return null;
    const stepForm = ({ step, visitId }) => {
      const ep = visitEndpoint(step, visitId);
      const path = `visits${ep.path}`;
      const label = t(`visit.step.${step}`, { visit: visitId ?? '' });
      if (step === 'arrive') {
        const b = h('button', { type: 'button', id: `visit-arrive-${visitId}` }, label);
        b.addEventListener('click', () => void send(path, {}, label, null, b));
        return h('div', { class: 'action' }, b);
      }
      const formId = `v-${step}`;
      const specs = {
        request: [{ name: 'reason', label: t('visit.reason'), type: 'textarea', required: true, max: 2000, hint: t('visit.reasonHint') }],
        schedule: [
          { name: 'technician', label: t('visits.technician'), type: 'text', required: true, max: 128 },
          { name: 'plannedAt', label: t('visits.plannedAt'), type: 'datetime-local', hint: t('intake.occurredAtHint', { zone: timeZone() }) },
        ],
        depart: [{ name: 'workDone', label: t('visits.workDone'), type: 'textarea', required: true, max: 10_000 }],
      }[step];
      const button = h('button', { type: 'submit', id: `visit-${step}-submit` }, label);
      const f = h(
        'form',
        { class: 'action', id: formId },
        specs.map((x) => field(formId, x)),
        h('div', { class: 'action-buttons' }, button),
      );
      f.addEventListener('submit', (e) => {
        e.preventDefault();
        const v = formValues(f);
        const body =
          step === 'request'
            ? { reason: v.reason }
            : step === 'depart'
              ? { workDone: v.workDone }
              : { technician: v.technician, ...(v.plannedAt ? { plannedAt: wallTimeToIso(v.plannedAt, timeZone()) ?? v.plannedAt } : {}) };
        void send(path, body, label, f, button, ep.method);
      });
      const details = h('details', { class: 'action-group', id: `group-visit-${step}`, open: openGroups.has(`visit-${step}`) }, h('summary', {}, label), f);
      details.addEventListener('toggle', () => (details.open ? openGroups.add(`visit-${step}`) : openGroups.delete(`visit-${step}`)));
      return details;
    };
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'visits-h' },
      h('h2', { id: 'visits-h' }, t('visit.title')),
      list.length === 0
        ? h('p', { class: 'muted' }, t('visit.none'))
        : table(
            t('visit.title'),
            [t('visit.col.visit'), t('visits.technician'), t('visits.plannedAt'), t('visits.arrivedAt'), t('visits.departedAt'), t('visits.workDone')],
            list.map((v) =>
              h(
                'tr',
                { dataset: { visit: v.id } },
                h('th', { scope: 'row' }, v.id, h('div', { class: 'small muted' }, `${t(`visits.state.${visitState(v)}`)} · ${v.reason}`)),
                h('td', {}, v.technician ?? '—'),
                h('td', { class: 'nowrap' }, v.plannedAt === null ? '—' : formatDateTime(v.plannedAt)),
                h(
                  'td',
                  { class: 'nowrap' },
                  v.arrivedAt === null ? '—' : formatDateTime(v.arrivedAt),
                  v.arrivalMet === null ? null : h('div', { class: 'small' }, v.arrivalMet ? t('visits.met') : t('visits.late')),
                ),
                h('td', { class: 'nowrap' }, v.departedAt === null ? '—' : formatDateTime(v.departedAt)),
                h('td', {}, v.workDone ?? ''),
              ),
            ),
          ),
      steps.length ? h('div', { class: 'actions' }, steps.map(stepForm)) : null,
    );
  };

  const timeEntries = (tk) =>
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'time-h' },
      h('h2', { id: 'time-h' }, t('ticket.timeEntries')),
      tk.timeEntries.length === 0
        ? h('p', { class: 'muted' }, t('ticket.noTimeEntries'))
        : table(
            t('ticket.timeEntries'),
            [t('ticket.col.at'), t('ticket.col.by'), t('ticket.channel'), t('ticket.minutes'), t('ticket.timeNote')],
            tk.timeEntries.map((e) =>
              h(
                'tr',
                {},
                h('td', { class: 'nowrap' }, formatDateTime(e.at)),
                h('td', {}, e.by),
                h('td', {}, t(`channel.${e.channel}`)),
                h('td', { class: 'num' }, formatNumber(e.minutes)),
                h('td', {}, e.note),
              ),
            ),
          ),
    );

  const draw = () => {
    const tk = current;
    const device = tk.device;
    const contact = tk.customer.contact;
    setChildren(
      main,
      h('p', {}, h('a', { href: '#/queue' }, `← ${t('ticket.back')}`)),
      h('h1', {}, `${tk.id}: ${tk.title}`),
      h(
        'p',
        { class: 'badges', id: 'ticket-badges' },
        statusBadge(tk.status),
        ' ',
        impactBadge(tk.impact),
        ' ',
        h('span', { class: 'badge' }, tk.queue),
        ' ',
        h('span', { class: 'badge' }, tk.tier),
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
              [t('ticket.customer'), tk.customer.name],
              [t('ticket.contact'), [contact.name, contact.phone, contact.email].filter(Boolean).join(' · ')],
              [t('ticket.site'), tk.site.name],
              [
                t('ticket.device'),
                device
                  ? h(
                      'a',
                      { href: `#/devices/${encodeURIComponent(device.id)}` },
                      deviceName(device.vendor, device.model, device.id),
                      device.serial ? ` (${device.serial})` : '',
                    )
                  : undefined,
              ],
              [t('ticket.openedAt'), formatDateTime(tk.openedAt)],
              [t('ticket.firstResponse'), tk.firstResponseAt === null ? '—' : formatDateTime(tk.firstResponseAt)],
              [t('ticket.assignee'), tk.assignee ?? t('queue.unassigned')],
              [t('ticket.tier'), tk.tier],
              [t('ticket.resolvedAt'), tk.resolvedAt === null ? undefined : formatDateTime(tk.resolvedAt)],
              [t('ticket.reopened'), tk.reopenCount > 0 ? formatNumber(tk.reopenCount) : undefined],
            ]),
            tk.status === 'resolved' || tk.status === 'closed' ? reportLinks(tk.id) : null,
          ),
          slaSection(tk),
        ),
        h(
          'div',
          { class: 'stack' },
          h(
            'section',
            { class: 'card', 'aria-labelledby': 'actions-h' },
            h('h2', { id: 'actions-h', tabindex: '-1' }, t('ticket.actions')),
            actions(tk),
            status,
          ),
          corrections(tk),
        ),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'evidence-h' },
        h('h2', { id: 'evidence-h' }, t('ticket.evidence')),
        tk.faults.length ? h('ul', { class: 'plain' }, tk.faults.map(evidence)) : h('p', { class: 'muted' }, t('device.noFaults')),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'comments-h' },
        h('h2', { id: 'comments-h' }, t('ticket.comments')),
        tk.comments.length === 0
          ? h('p', { class: 'muted' }, t('ticket.noComments'))
          : h(
              'ul',
              { class: 'plain comments' },
              tk.comments.map((c) =>
                h(
                  'li',
                  {},
                  h('p', { class: 'small muted' }, `${formatDateTime(c.at)} · ${c.by} · ${c.public ? t('ticket.public') : t('ticket.internal')}`),
                  h('p', {}, c.text),
                ),
              ),
            ),
      ),
      visits(tk),
      timeEntries(tk),
      historyCard(tk.history),
    );
    document.title = `${tk.id} · FleetDesk`;
  };

  const load = async () => {
    try {
      current = await api(`/tickets/${encodeURIComponent(id)}`);
      await loadChoices(current);
      draw();
    } catch (err) {
      setChildren(main, h('p', {}, h('a', { href: '#/queue' }, `← ${t('ticket.back')}`)), errorBox(`${t('app.error')}: ${err.message}`));
    }
  };
  void load();
  // Another operator's action or an SLA notice on this ticket: re-read it (our own action's event carries the revision we already show).
  const off = onLive((type, data) => {
    const tid = data?.ticketId ?? data?.ticket?.id;
    if (tid !== id || (type === 'ticket.updated' && current && data.revision === current.revision)) return;
    void load();
  });
  return off;
}
