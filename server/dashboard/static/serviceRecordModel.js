/**
 * What the device page's service record shows, from GET /devices/{key}/service-record (pure, so
 * the Node unit tests check it): the outcome of each ticket, jams and other alerts per month,
 * each cartridge's share of its rated yield, and the device events split into firmware changes
 * and identity events, newest first.
 */

/** i18n key of a ticket's outcome: how it was resolved, or its status while it is open. */
export function ticketOutcomeKey(ticket) {
  return ticket.resolution ? `resolution.${ticket.resolution}` : `status.${ticket.status}`;
}

/** Per month (oldest first): jams, the other raised faults, and those by code (most frequent first, jams left out). */
export function faultMonths(rows) {
  return rows.map((r) => {
    const codes = Object.entries(r.byCode)
      .filter(([code]) => code !== 'jam')
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
    return { month: r.month, jams: r.jams, other: codes.reduce((n, [, c]) => n + c, 0), codes };
  });
}

/** Pages against the rated yield in whole percent, or null when either is unknown. */
export function yieldPercent(cartridge) {
  return cartridge.yieldShare === null || cartridge.yieldShare === undefined ? null : Math.round(cartridge.yieldShare * 100);
}

/** Cartridges newest first, per supply in the device's order. */
export function cartridgesNewestFirst(cartridges) {
  return cartridges.slice().sort((a, b) => a.supplyIndex - b.supplyIndex || Date.parse(b.since) - Date.parse(a.since));
}

/** Firmware changes and identity events (swap, shared serial), each newest first. */
export function splitEvents(events) {
  const newest = events.slice().sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return { firmware: newest.filter((e) => e.kind === 'firmware'), identity: newest.filter((e) => e.kind !== 'firmware') };
}
