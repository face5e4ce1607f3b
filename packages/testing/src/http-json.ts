export interface JsonRequest {
  method?: string;
  /** sent as JSON (content-type application/json) */
  body?: unknown;
  /** sent as is, for bodies that must not be valid JSON */
  rawBody?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface JsonAnswer<T = unknown> {
  status: number;
  headers: Headers;
  /** the parsed JSON, the text when it is not JSON, undefined when empty */
  body: T;
}

/** One real HTTP request (fetch); the answer's body parsed as JSON where it is JSON. */
export async function requestJson<T = unknown>(
  url: string,
  request: JsonRequest = {},
): Promise<JsonAnswer<T>> {
  const headers: Record<string, string> = { ...request.headers };
  let body = request.rawBody;
  if (request.body !== undefined) body = JSON.stringify(request.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(url, { method: request.method ?? 'GET', headers, body, signal: request.signal });
  const text = await res.text();
  let parsed: unknown = text === '' ? undefined : text;
  try {
    if (text !== '') parsed = JSON.parse(text);
  } catch {
    // not JSON: the test sees the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** requestJson for setup steps: a status outside 2xx throws, naming the request and the answer. */
export async function requestJsonOk<T = unknown>(url: string, request: JsonRequest = {}): Promise<T> {
  const answer = await requestJson<T>(url, request);
  if (answer.status < 200 || answer.status >= 300) {
    const method = request.method ?? 'GET';
    throw new Error(
      `${method} ${new URL(url).pathname} answered ${answer.status}: ${JSON.stringify(answer.body)}`,
    );
  }
  return answer.body;
}
