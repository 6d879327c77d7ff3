/**
 * One device: identity, live state (effective status, reachability, agent), supplies with
 * bars, paper trays, page counters, active faults, its open tickets, the level history and fault
 * timeline, and its service record (serviceRecordView.js). Fleet events for this device and
 * ticket events re-read it.
 */
import { api, encodeKey } from '../api.js';
import { errorBox, facts, h, table, setChildren } from '../dom.js';
import { faultLabel, formatDateTime, formatNumber, formatPercent, locale, t } from '../i18n.js';
import { onLive } from '../live.js';
import { countdown, deviceStatusBadge, impactBadge, statusBadge, supplyBar } from '../widgets.js';
import { destroyCharts, lineChart } from '../charts.js';
import { forecastPhrase, levelSeries, urgency } from '../forecastModel.js';
import { deviceName } from '../deviceName.js';
import { serviceRecordSection } from '../serviceRecordView.js';

/** "runs out in 6 days · 4–9 days · high confidence · around 2026-03-06 · order ticket T000042" */
export function forecastLine(f) {
  if (!f) return null;
  const p = forecastPhrase(f, locale());
  const parts = [t(p.key, p.vars)];
  if (p.range) parts.push(t(p.range.key, p.range.vars));
  if (f.status === 'forecast') {
    if (f.confidence) parts.push(t(`forecast.confidence.${f.confidence}`));
    if (f.method) parts.push(t(`forecast.method.${f.method}`));
    if (f.date) parts.push(t('forecast.on', { date: f.date }));
  }
  const order =
    f.order?.status === 'open' ? h('a', { href: `#/tickets/${encodeURIComponent(f.order.ticketId)}` }, t('forecast.order', { id: f.order.ticketId })) : null;
  return h(
    'div',
    { class: `small forecast forecast-${urgency(f)}`, dataset: { forecast: f.status }, title: f.message ?? '' },
    parts.join(' · '),
    order ? [' · ', order] : null,
  );
}

function historyCards(history) {
  if (history === null) return null;
  const levels = levelSeries(history).filter((s) => s.points.length > 0);
  const entries = history.faults.entries.slice().reverse();
  return h(
    'div',
    { class: 'grid' },
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'history-h' },
      h('h2', { id: 'history-h' }, t('device.history')),
      levels.length === 0
        ? h('p', { class: 'muted' }, t('device.history.none'))
        : lineChart({ title: t('device.history'), hideTitle: true, unit: 'percent', min: 0, max: 100, xLabel: t('chart.when'), series: levels }),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'timeline-h' },
      h('h2', { id: 'timeline-h' }, t('device.timeline')),
      entries.length === 0
        ? h('p', { class: 'muted' }, t('device.timeline.none'))
        : h(
            'ol',
            { class: 'plain timeline', reversed: true },
            entries.map((e) =>
              h(
                'li',
                { class: e.kind === 'raised' || e.kind === 'unreachable' ? `sev-${e.severity ?? 'warning'}` : 'sev-info' },
                h('time', { datetime: e.at }, formatDateTime(e.at)),
                ' · ',
                h('strong', {}, faultLabel(e.code)),
                ` ${t(`timeline.${e.kind}`)}`,
                e.message || e.lastError ? h('div', { class: 'small muted' }, e.message ?? e.lastError) : null,
              ),
            ),
          ),
    ),
  );
}

export function render(main, [key]) {
  const back = () => h('p', {}, h('a', { href: '#/fleet' }, `← ${t('device.back')}`));

  const draw = (device, agent, tickets, forecasts = [], history = null, record = null) => {
    destroyCharts(main);
    const forecastOf = (s) => forecasts.find((f) => f.supplyIndex === s.index);
    const id = device.identity;
    const name = deviceName(id.vendor, id.model, device.agentDeviceId);
    setChildren(
      main,
      back(),
      h('h1', {}, name, ' ', deviceStatusBadge(device.effectiveStatus)),
      h(
        'div',
        { class: 'grid' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'identity-h' },
          h('h2', { id: 'identity-h' }, t('device.identity')),
          facts([
            [t('device.vendor'), id.vendor],
            [t('device.model'), id.model],
            [t('device.serial'), id.serial],
            [t('device.sysName'), id.sysName],
            [t('device.location'), id.location],
            [t('device.mac'), id.mac],
            [t('device.firmware'), id.firmware],
            [t('device.address'), device.address],
            [t('device.protocols'), device.protocols?.join(', ').toUpperCase()],
            [t('device.key'), device.key],
          ]),
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'state-h' },
          h('h2', { id: 'state-h' }, t('device.state')),
          facts([
            [t('device.status'), deviceStatusBadge(device.effectiveStatus)],
            [t('device.reachable'), device.reachable ? t('yes') : t('no')],
            [t('device.unreachableSince'), device.unreachableSince ? formatDateTime(device.unreachableSince) : undefined],
            [t('device.lastError'), device.lastError],
            [t('device.collectedAt'), formatDateTime(device.collectedAt)],
            [t('device.lastSeen'), formatDateTime(device.lastSeen)],
            [t('device.agent'), agent ? `${agent.key}${agent.hostname ? ` (${agent.hostname})` : ''}` : `${device.tenant}/${device.agentId}`],
            [t('device.agentState'), agent ? `${t(`agentstate.${agent.state}`)} · ${t('device.since', { at: formatDateTime(agent.since) })}` : undefined],
          ]),
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'faults-h' },
          h('h2', { id: 'faults-h' }, t('device.faults')),
          device.faults.length === 0
            ? h('p', { class: 'muted' }, t('device.noFaults'))
            : h(
                'ul',
                { class: 'plain' },
                device.faults.map((f) =>
                  h(
                    'li',
                    { class: `sev-${f.severity}` },
                    h('strong', {}, faultLabel(f.code)),
                    h('div', { class: 'small muted' }, `${f.message} · ${t('device.since', { at: formatDateTime(f.firstSeen) })}`),
                  ),
                ),
              ),
        ),
      ),
      h(
        'div',
        { class: 'grid' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'supplies-h' },
          h('h2', { id: 'supplies-h' }, t('device.supplies')),
          device.supplies.length === 0
            ? h('p', { class: 'muted' }, t('device.noSupplies'))
            : device.supplies.map((s) => [supplyBar(s), forecastLine(forecastOf(s))]),
          device.inputs.length === 0
            ? null
            : [
                h('h3', {}, t('device.inputs')),
                table(
                  t('device.inputs'),
                  [t('device.inputs'), '%', t('device.status')],
                  device.inputs.map((i) =>
                    h(
                      'tr',
                      {},
                      h('td', {}, i.name, i.media ? h('span', { class: 'muted' }, ` · ${i.media}`) : ''),
                      h('td', {}, i.levelPercent === null ? '—' : formatPercent(i.levelPercent)),
                      h('td', {}, t(`supplystate.${i.state}`)),
                    ),
                  ),
                ),
              ],
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'counters-h' },
          h('h2', { id: 'counters-h' }, t('device.counters')),
          Object.keys(device.counters).length === 0
            ? h('p', { class: 'muted' }, t('device.noCounters'))
            : table(
                t('device.counters'),
                [t('device.counters'), '#'],
                Object.entries(device.counters).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', { class: 'num' }, formatNumber(v)))),
              ),
        ),
      ),
      historyCards(history),
      serviceRecordSection(record, { forecastLine }),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'tickets-h' },
        h('h2', { id: 'tickets-h' }, t('device.tickets')),
        tickets === null
          ? null
          : tickets.length === 0
            ? h('p', { class: 'muted' }, t('device.noTickets'))
            : table(
                t('device.tickets'),
                [t('queue.col.deadline'), t('queue.col.impact'), t('queue.col.ticket'), t('queue.col.status'), t('queue.col.assignee')],
                tickets.map((s) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, countdown(s.deadlineAt, { breached: s.breached })),
                    h('td', {}, impactBadge(s.impact)),
                    h('td', {}, h('a', { href: `#/tickets/${encodeURIComponent(s.id)}` }, s.id), ' ', s.title),
                    h('td', {}, statusBadge(s.status)),
                    h('td', {}, s.assignee ?? t('queue.unassigned')),
                  ),
                ),
              ),
      ),
    );
    document.title = `${name} · FleetDesk`;
  };

  const load = async () => {
    try {
      const { device, agent, forecasts } = await api(`/devices/${encodeKey(key)}`);
      const history = await api(`/devices/${encodeKey(key)}/history`).catch(() => null);
      const record = await api(`/devices/${encodeKey(key)}/service-record`).catch(() => null);
      // Customers and technicians may read tickets too; a role without ticket access just gets no list.
      const tickets = await api(`/tickets?device=${encodeKey(key)}&limit=100`).then(
        (p) => p.items,
        () => null,
      );
      draw(device, agent, tickets, forecasts ?? [], history, record);
    } catch (err) {
      setChildren(main, back(), errorBox(`${t('app.error')}: ${err.message}`));
    }
  };
  void load();
  let timer = null;
  const off = onLive((type, data) => {
    const mine = data?.deviceKey === key || data?.ticket?.deviceKey === key || (type === 'fleet.agentOffline' && data?.devices?.includes(key));
    if (!mine && type !== 'ticket.updated') return;
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 500);
  });
  // Supply levels and counters change without fleet events (telemetry is not streamed): re-read now and then.
  const poll = setInterval(() => void load(), 15_000);
  return () => {
    off();
    clearTimeout(timer);
    clearInterval(poll);
  };
}
