/**
 * Links to a ticket's final report (the document the customer receives when a ticket is done):
 * HTML and PDF, in Polish or English, fetched with the bearer token and saved as a file (a plain
 * link cannot carry the token, and the dashboard's CSP would not style the report's own page).
 * Shown on resolved and closed tickets.
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
        // GET /tickets/{id}/report.pdf (a download) and /tickets/{id}/report (the HTML page, saved as a file that opens in any browser).
        const path = format === 'pdf' ? 'report.pdf' : 'report';
        await apiDownload(`/tickets/${encodeURIComponent(ticketId)}/${path}?lang=${lang}`, `${ticketId}-report-${lang}.${format}`);
      } catch (err) {
        setChildren(status, errorBox(t('finalReport.failed', { status: err.status, message: err.message })));
      }
    });
    return b;
  };
  const langs = language() === 'pl' ? ['pl', 'en'] : ['en', 'pl'];
  return h(
    'div',
    { class: 'final-report', id: 'final-report' },
    h('h3', {}, t('finalReport.title')),
    h(
      'div',
      { class: 'action-buttons' },
      langs.flatMap((l) => [button('pdf', l), button('html', l)]),
    ),
    status,
  );
}
