/**
 * Links to a ticket's final report (the document the customer receives when a ticket is done):
 * HTML and PDF, in Polish or English, fetched with the bearer token and saved as a file (a plain
 * link cannot carry the token). Shown on resolved and closed tickets.
 */
import { apiDownload } from './api.js';
import { errorBox, h, setChildren } from './dom.js';
import { language, t } from './i18n.js';

export function reportLinks(ticketId) {
  const status = h('div', { 'aria-live': 'polite' });
  const button = (format, lang) => {
    const b = h('button', { type: 'button', class: 'secondary', id: `report-${format}-${lang}` }, t(`finalReport.${format}`, { lang: lang.toUpperCase() }));
    b.addEventListener('click', async () => {
      setChildren(status);
      try {
        await apiDownload(`/tickets/${encodeURIComponent(ticketId)}/report.${format}?lang=${lang}`, `${ticketId}-${lang}.${format}`);
      } catch (err) {
        setChildren(status, errorBox(t('finalReport.failed', { status: err.status, message: err.message })));
      }
    });
    return b;
  };
  const langs = language() === 'pl' ? ['pl', 'en'] : ['en', 'pl'];
  return h('div', { class: 'final-report', id: 'final-report' }, h('h3', {}, t('finalReport.title')), h('div', { class: 'action-buttons' }, langs.flatMap((l) => [button('pdf', l), button('html', l)])), status);
}
