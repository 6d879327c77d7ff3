/**
 * The REST API client: bearer token from sessionStorage (gone when the tab closes), JSON in and
 * out, and the API's error body ({statusCode, code, message, field}) turned into an ApiError.
 */
const TOKEN_KEY = 'fleetdesk.token';
const BASE = '/api/v1';

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
  /** The caller from GET /me, filled after login. */
  me: null,
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? 'HTTP';
    this.field = body?.field ?? null;
  }
}

/** Called when the API answers 401 (token revoked or mistyped): the app goes to the login page. */
let onUnauthorized = () => {};
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** fetch with the bearer token: a network failure or an error answer becomes an ApiError (a 401 also goes to the login page). */
async function request(path, init, token) {
  const headers = { ...init.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(BASE + path, { ...init, headers });
  } catch (err) {
    throw new ApiError(0, { code: 'NETWORK', message: `the server cannot be reached (${err.message})` });
  }
  if (!res.ok) {
    const error = new ApiError(res.status, await res.json().catch(() => null));
    if (res.status === 401 && token === session.token()) onUnauthorized(error);
    throw error;
  }
  return res;
}

export async function api(path, { method = 'GET', body, token = session.token() } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, token);
  if (res.status === 204) return null;
  return res.json().catch(() => null);
}

/** Every page of a list (bounded: at most `maxPages` requests). */
export async function apiAll(path, { pageSize = 500, maxPages = 10 } = {}) {
  const items = [];
  let offset = 0;
  let total = 0;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(`${path}${sep}limit=${pageSize}&offset=${offset}`);
    items.push(...page.items);
    total = page.total;
    if (page.nextOffset === null) break;
    offset = page.nextOffset;
  }
  return { items, total };
}

export const encodeKey = (key) => encodeURIComponent(key);

/**
 * A file from the API (e.g. a CSV report) with the bearer token, saved through a temporary
 * object URL. Errors carry the API's error body like api() does.
 */
export async function apiDownload(path, fallbackName = 'download') {
  const res = await request(path, {}, session.token());
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}
