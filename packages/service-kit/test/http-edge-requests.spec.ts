import { randomUUID } from 'node:crypto';
import { ServiceMetrics } from '../src/index.js';
import { startEdgeTestApp, TOKENS, type EdgeTestApp } from './support/edge-test-app.js';

// An invented patient's data, to prove it never comes back in an error or a log line.
const PATIENT = { first_name: 'Wilhelmina', last_name: 'Quastenbeck', sku: 'wilhelmina-quastenbeck' };

interface ErrorBody {
  error: { code: string; message: string; details?: { field: string; issue: string; message: string }[] };
}

describe('HTTP edge: input, errors and access log', () => {
  let edge: EdgeTestApp;
  const metrics = new ServiceMetrics({ service: 'edge-test', defaultMetrics: false });
  beforeAll(async () => {
    edge = await startEdgeTestApp({ metrics });
  });
  afterAll(async () => {
    await edge.close();
  });

  const post = (path: string, body: string, token = TOKENS.writer.token, contentType = 'application/json') =>
    fetch(`${edge.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': contentType,
        'idempotency-key': randomUUID(),
      },
      body,
    });

  describe('a body that fails its schema', () => {
    it('answers 400 naming each field and issue, without echoing a submitted value', async () => {
      const res = await post('/stock/adjustments', JSON.stringify({ ...PATIENT, delta: 'Quastenbeck-5' }));
      expect(res.status).toBe(400);
      const text = await res.text();
      for (const value of Object.values(PATIENT)) expect(text).not.toContain(value);
      expect(text).not.toContain('Quastenbeck');
      const body = JSON.parse(text) as ErrorBody;
      expect(body.error.code).toBe('invalid_request');
      expect(body.error.details!.map((d) => [d.field, d.issue]).sort()).toEqual([
        ['(body)', 'unrecognized_keys'],
        ['delta', 'invalid_type'],
        ['sku', 'invalid_format'],
      ]);
    });

    it('answers 400 for a body that is not JSON, without quoting it', async () => {
      const res = await post('/stock/adjustments', '{"sku": Wilhelmina Quastenbeck}');
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(text).not.toContain('Wilhelmina');
      expect(JSON.parse(text)).toEqual({
        error: { code: 'invalid_body', message: 'the body is not valid JSON' },
      });
    });

    it('answers 400 for a query or path parameter out of range, naming it', async () => {
      const headers = { authorization: `Bearer ${TOKENS.reader.token}` };
      const path = await fetch(`${edge.url}/stock/wilhelmina-quastenbeck?limit=3`, { headers });
      expect(path.status).toBe(400);
      const text = await path.text();
      expect(text).not.toContain('quastenbeck');
      expect((JSON.parse(text) as ErrorBody).error.details?.map((d) => [d.field, d.issue])).toEqual([
        ['(path)', 'invalid_format'],
      ]);
      const query = await fetch(`${edge.url}/stock/ABC?limit=5000&location=Q`, { headers });
      expect(query.status).toBe(400);
      expect(((await query.json()) as ErrorBody).error.details?.map((d) => [d.field, d.issue])).toEqual([
        ['location', 'too_small'],
        ['limit', 'too_big'],
      ]);
    });
  });

  it('refuses a body over the limit with 413 in the same shape', async () => {
    const res = await post(
      '/stock/adjustments',
      JSON.stringify({ sku: 'ABC', delta: 1, note: 'x'.repeat(10_000) }),
    );
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: { code: 'payload_too_large', message: 'the request body is too large' },
    });
  });

  it('refuses a body that is not JSON by its content type with 415', async () => {
    const res = await post('/stock/adjustments', 'sku=ABC', TOKENS.writer.token, 'text/plain');
    expect(res.status).toBe(415);
    expect(((await res.json()) as ErrorBody).error.code).toBe('unsupported_media_type');
  });

  it("maps a domain error's code to its status, with the error's message", async () => {
    const res = await post(`/orders/${randomUUID()}/cancel`, '{}', TOKENS.orders.token);
    expect(res.status).toBe(409);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('order_closed');
    expect(body.error.message).toContain('cannot be cancelled');
  });

  it('answers an unexpected failure with 500 and logs it; an unknown route with 404 without its URL', async () => {
    const res = await fetch(`${edge.url}/operator/boom`, {
      headers: { authorization: `Bearer ${TOKENS.operator.token}` },
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: { code: 'internal', message: 'the request failed; it may be retried' },
    });
    expect(edge.lines.some((l) => l.msg === 'request failed' && l.route === '/operator/boom')).toBe(true);

    const missing = await fetch(`${edge.url}/orders/Quastenbeck/unknown?name=Wilhelmina`);
    expect(missing.status).toBe(404);
    const text = await missing.text();
    expect(text).not.toContain('Quastenbeck');
    expect(JSON.parse(text)).toEqual({ error: { code: 'not_found', message: 'no such resource' } });
  });

  it('logs one access line per request: method, route pattern, status, duration, token name, and nothing sent', async () => {
    const before = edge.lines.length;
    const res = await fetch(`${edge.url}/stock/ABC-77?location=Quastenbeck&limit=3`, {
      headers: { authorization: `Bearer ${TOKENS.reader.token}` },
    });
    expect(res.status).toBe(200);
    await post(
      '/stock/adjustments',
      JSON.stringify({ sku: 'ABC-77', delta: 2, note: 'for Wilhelmina Quastenbeck' }),
    );
    const access = edge.lines.slice(before).filter((l) => l.msg === 'http request');
    expect(access).toHaveLength(2);
    expect(access[0]).toMatchObject({
      level: 'info',
      service: 'edge-test',
      method: 'GET',
      route: '/stock/:sku',
      status: 200,
      token_name: 'reader',
    });
    expect(typeof access[0]!.duration_ms).toBe('number');
    expect(access[1]).toMatchObject({
      method: 'POST',
      route: '/stock/adjustments',
      status: 201,
      token_name: 'writer',
    });
    const logged = JSON.stringify(edge.lines);
    for (const secret of [
      'ABC-77',
      'Quastenbeck',
      'Wilhelmina',
      TOKENS.reader.token,
      TOKENS.writer.token,
      'limit=3',
    ])
      expect(logged).not.toContain(secret);
  });

  it('logs a refused caller without a token name', async () => {
    const before = edge.lines.length;
    await fetch(`${edge.url}/stock/ABC`, { headers: { authorization: 'Bearer rxb_Quastenbeck' } });
    const [line] = edge.lines.slice(before).filter((l) => l.msg === 'http request');
    expect(line).toMatchObject({ route: '/stock/:sku', status: 401, token_name: null });
    expect(JSON.stringify(line)).not.toContain('Quastenbeck');
  });

  it('counts requests by route pattern on /metrics, which needs no token', async () => {
    await fetch(`${edge.url}/stock/ABC-9`, { headers: { authorization: `Bearer ${TOKENS.reader.token}` } });
    const scrape = await fetch(`${edge.url}/metrics`);
    expect(scrape.status).toBe(200);
    const text = await scrape.text();
    expect(text).toMatch(
      /rxbridge_http_request_duration_seconds_count\{service="edge-test",method="GET",route="\/stock\/:sku",status="200"\} [1-9]/,
    );
    expect(text).not.toContain('ABC-9');
  });
});
