/** Navigation and screen-reader announcements, shared by the shell and the pages. */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

/** Announces a change to screen readers (the #live region is aria-live="polite"). */
export function announce(text) {
  const region = document.getElementById('live');
  if (!region) return;
  region.textContent = '';
  setTimeout(() => (region.textContent = text), 50);
}

/** Where a signed-in user starts: customers in their portal, everyone else in the ticket queue. */
export function homeHash(me) {
  return me?.role === 'customer' ? '#/portal' : '#/queue';
}
