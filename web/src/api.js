// The platform API (/api/v1, docs/api.md) from the browser: the session cookie travels by itself
// (HttpOnly, SameSite=Strict); every change carries the session's CSRF token.
let csrf = '';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function setCsrf(token) {
  csrf = token || '';
}

export async function call(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, (data && data.error) || response.statusText);
  return data;
}

// The current session ({audience, subject, csrf, roles?}) or null.
export async function currentSession() {
  try {
    const s = await call('GET', '/api/v1/session');
    setCsrf(s.csrf);
    return s;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export async function signOut() {
  await call('DELETE', '/api/v1/session');
  setCsrf('');
}
