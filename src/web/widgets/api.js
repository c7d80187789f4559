// Talking to the server with the admin key this tab keeps.

export const KEY_STORAGE = 'foodtruck.adminKey';

export class ApiError extends Error {
  constructor(status, text) {
    super(text);
    this.status = status;
  }
}

let unauthorized = () => undefined;

/** What to do when the server refuses the kept key (the entry module signs out). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export async function api(path, options = {}) {
  const key = sessionStorage.getItem(KEY_STORAGE);
  const headers = { authorization: `Bearer ${key ?? ''}` };
  let body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(path, { method: options.method ?? 'GET', headers, body, cache: 'no-store' });
  const answer = await response.json().catch(() => ({}));
  if (response.status === 401) {
    unauthorized('The admin key was refused. Sign in again.');
    throw new ApiError(401, 'Unauthorized');
  }
  if (!response.ok) throw new ApiError(response.status, answer.message ?? `HTTP ${response.status}`);
  return answer;
}

export function query(parameters) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(parameters)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
