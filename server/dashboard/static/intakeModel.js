/**
 * The e-mail intake page's rules (pure, unit-tested from Node): the one-line excerpt of a message
 * in the list, the sender as people write it, attachment sizes, and what a dispatcher may do with
 * an item (only an unassigned one can be assigned, attached or dismissed: server/intake/intakeItems.ts).
 */

/** Statuses of intake items, in the order of the page's filter. */
export const INTAKE_STATUSES = ['unassigned', 'assigned', 'attached', 'dismissed'];

/** Where each action goes, under /intake/{id}/. */
export const INTAKE_ACTIONS = { assign: 'assign', attach: 'attach', dismiss: 'dismiss' };

/** The actions an item offers: all three while unassigned, none once handled. */
export function intakeActions(item) {
  return item.status === 'unassigned' ? ['assign', 'attach', 'dismiss'] : [];
}

/** The text on one line, cut at a word near `max` characters with an ellipsis. */
export function intakeExcerpt(text, max = 160) {
  const line = (text ?? '').replace(/\s+/g, ' ').trim();
  if (line.length <= max) return line;
  const cut = line.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** "Name <address>", the address alone, or null when the message had no usable sender. */
export function senderLabel(item) {
  if (!item.from) return item.fromName || null;
  return item.fromName ? `${item.fromName} <${item.from}>` : item.from;
}

/** Bytes for people: 812 B, 4.2 kB, 20.0 MB (decimal units, like mail clients). */
export function formatSize(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
