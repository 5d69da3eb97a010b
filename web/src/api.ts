/** Fetch wrapper: JSON in and out, the CSRF token on every state change, 401 → login page. */
let csrf = '';
export function setCsrf(token: string): void { csrf = token; }

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const method = init.method ?? 'GET';
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  const r = await fetch(path, { method, headers, credentials: 'same-origin', ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  const data = (await r.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!r.ok) {
    if (r.status === 401 && path !== '/api/login') window.dispatchEvent(new Event('anoguard:logout'));
    throw new ApiError(r.status, data.error?.code ?? 'E_HTTP', data.error?.message ?? `HTTP ${r.status}`);
  }
  return data as T;
}
