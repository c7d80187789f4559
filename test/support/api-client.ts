// A thin fetch wrapper for tests: every answer as status plus parsed JSON body.

export interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  headers: Headers;
}

export async function call(
  url: string,
  init: { method?: string; key?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key !== undefined) headers.authorization = `Bearer ${init.key}`;
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Left as text: the assertion that follows says what was expected.
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** A job body as the seed writes it, with a window around now unless given. */
export function jobBody(nodes: Array<{ org: string; name: string }>, task: Record<string, unknown> = {}) {
  return {
    task: {
      window_start: new Date(Date.now() - 60_000).toISOString(),
      window_end: new Date(Date.now() + 3_600_000).toISOString(),
      provider: 'infra',
      spec: { url: 'https://example.com/policy.tar.gz' },
      ...task,
    },
    nodes,
  };
}
