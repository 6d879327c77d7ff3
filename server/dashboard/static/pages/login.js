/** Login: paste an API token, checked with GET /me, then kept in sessionStorage. */
import { api, session } from '../api.js';
import { errorBox, h, setChildren } from '../dom.js';
import { setSiteTimeZone, t } from '../i18n.js';
import { go, homeHash } from '../nav.js';

export function render(main) {
  if (session.me) {
    go(homeHash(session.me));
    return;
  }
  const expired = sessionStorage.getItem('fleetdesk.expired') === '1';
  sessionStorage.removeItem('fleetdesk.expired');
  const status = h('div', { id: 'login-status', 'aria-live': 'polite' }, expired ? errorBox(t('login.expired')) : null);
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'login-hint',
  });
  const button = h('button', { type: 'submit' }, t('login.submit'));
  const form = h(
    'form',
    { class: 'card login', novalidate: true },
    h('h1', {}, t('login.title')),
    h('p', {}, t('login.intro')),
    h('label', { for: 'token' }, t('login.token')),
    input,
    h('p', { id: 'login-hint', class: 'muted small' }, t('login.demoHint')),
    button,
    status,
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    if (!token) {
      setChildren(status, errorBox(t('login.empty')));
      input.focus();
      return;
    }
    button.disabled = true;
    setChildren(status, h('p', { class: 'muted' }, t('login.checking')));
    try {
      const me = await api('/me', { token });
      session.set(token);
      session.me = me;
      setSiteTimeZone(me.timeZone);
      go(homeHash(me));
    } catch (err) {
      setChildren(status, errorBox(t('login.invalid', { status: err.status, message: err.message })));
      button.disabled = false;
      input.select();
    }
  });
  setChildren(main, form);
  input.focus();
}
