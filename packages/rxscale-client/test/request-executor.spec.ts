import { z } from 'zod';
import { InProcessRateBudget } from '../src/budget/in-process-rate-budget.js';
import type { RateBudget, RxScalePriority } from '../src/budget/rate-budget.js';
import {
  RxScaleApiError,
  RxScaleAuthenticationError,
  RxScaleBadRequestError,
  RxScaleBudgetError,
  RxScaleConfigError,
  RxScaleConflictError,
  RxScaleConnectionError,
  RxScaleError,
  RxScaleNotFoundError,
  RxScalePermissionError,
  RxScaleRateLimitError,
  RxScaleSchemaError,
  RxScaleServerError,
  RxScaleTimeoutError,
  RxScaleUnprocessableError,
} from '../src/errors.js';
import {
  RxScaleRequestExecutor,
  type RxScaleHttpOptions,
  type RxScaleRequestEvent,
  type RxScaleResponseEvent,
} from '../src/http/request-executor.js';
import { json, startTestServer, type TestServer } from './test-server.js';

const API_KEY = 'rxk_test_NOT_A_REAL_KEY_7f3a';
const Item = z.object({ uid: z.string(), stock: z.number().int() });
const ItemList = z.object({ data: z.array(Item), totalRegistries: z.number(), totalPages: z.number() });

/** A real in-process budget that also counts the tokens it handed out. */
class CountingBudget implements RateBudget {
  readonly taken: RxScalePriority[] = [];
  private readonly inner = new InProcessRateBudget({ perSecond: 1000, perMinute: 100_000 });
  async take(priority: RxScalePriority, signal?: AbortSignal): Promise<void> {
    await this.inner.take(priority, signal);
    this.taken.push(priority);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe(RxScaleRequestExecutor.name, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function executor(overrides: Partial<RxScaleHttpOptions> = {}): RxScaleRequestExecutor {
    return new RxScaleRequestExecutor({
      baseUrl: server!.url,
      apiKey: API_KEY,
      retry: { baseDelayMs: 10, maxDelayMs: 50 },
      budget: new CountingBudget(),
      ...overrides,
    });
  }

  describe('requests', () => {
    it("sends the caller's trace context without letting it replace its own headers, and names the pharmacy in hook events", async () => {
      server = await startTestServer((_req, res) => json(res, 200, { uid: 'psku-1', stock: 1 }));
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const events: RxScaleRequestEvent[] = [];
      await executor({
        keyScope: 'group',
        contextHeaders: () => ({
          traceparent,
          correlationid: 'corr-1',
          'X-API-Key': 'forged',
          'X-Request-Id': 'forged',
        }),
        hooks: { onRequest: (e) => events.push(e) },
      }).request({
        method: 'GET',
        pathTemplate: '/pharmacy_skus/{uid}',
        pathParams: { uid: 'psku-1' },
        pharmacyUid: 'ph-7q2lnd',
        responseSchema: Item,
        priority: 'reconciliation',
        requestId: 'req-1',
      });
      const seen = server.requests[0]!;
      expect(seen.headers.traceparent).toBe(traceparent);
      expect(seen.headers.correlationid).toBe('corr-1');
      expect(seen.headers['x-api-key']).toBe(API_KEY);
      expect(seen.headers['x-request-id']).toBe('req-1');
      expect(events).toEqual([expect.objectContaining({ pharmacyUid: 'ph-7q2lnd', requestId: 'req-1' })]);
    });

    it('sends the key, a request id and JSON to the default base path, and parses the answer', async () => {
      server = await startTestServer((_req, res) =>
        json(res, 200, { uid: 'psku-1', stock: 7, extra: { kept: 1 } }),
      );
      const result = await executor().request({
        method: 'PATCH',
        pathTemplate: '/pharmacy_skus/{uid}/stock',
        pathParams: { uid: 'psku-1' },
        body: { stock: 7 },
        responseSchema: Item,
        priority: 'stock-push',
      });
      expect(result).toEqual({ uid: 'psku-1', stock: 7 });
      const seen = server.requests[0]!;
      expect(seen.method).toBe('PATCH');
      expect(seen.url.pathname).toBe('/v1/external-pharmacy-api-v1/pharmacy_skus/psku-1/stock');
      expect(seen.headers['x-api-key']).toBe(API_KEY);
      expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(seen.headers['content-type']).toBe('application/json');
      expect(JSON.parse(seen.body)).toEqual({ stock: 7 });
      expect(seen.url.searchParams.has('pharmacy_uid')).toBe(false);
    });

    it('uses either documented base path, given as basePath or inside baseUrl', async () => {
      server = await startTestServer((_req, res) => json(res, 200, {}));
      const schema = z.object({});
      await executor({ basePath: '/v1/external_pharmacy_api' }).request({
        method: 'GET',
        pathTemplate: '/health/',
        responseSchema: schema,
        priority: 'reconciliation',
      });
      await executor({ baseUrl: `${server.url}/v1/external_pharmacy_api/` }).request({
        method: 'GET',
        pathTemplate: '/health/',
        responseSchema: schema,
        priority: 'reconciliation',
      });
      expect(server.requests.map((r) => r.url.pathname)).toEqual([
        '/v1/external_pharmacy_api/health/',
        '/v1/external_pharmacy_api/health/',
      ]);
      expect(() => executor({ baseUrl: `${server!.url}/v1/x`, basePath: '/v1/y' })).toThrow(
        RxScaleConfigError,
      );
      expect(() => executor({ baseUrl: 'not a url' })).toThrow(RxScaleConfigError);
      expect(() => executor({ apiKey: '' })).toThrow(RxScaleConfigError);
    });

    it('adds pharmacy_uid on every call for a group-wide key, the call’s own uid first', async () => {
      server = await startTestServer((_req, res) => json(res, 200, {}));
      const group = executor({ keyScope: 'group', pharmacyUid: 'ph-default' });
      const call = {
        method: 'GET' as const,
        pathTemplate: '/webhooks/',
        responseSchema: z.object({}),
        priority: 'reconciliation' as const,
      };
      await group.request(call);
      await group.request({ ...call, pharmacyUid: 'ph-other' });
      expect(server.requests.map((r) => r.url.searchParams.get('pharmacy_uid'))).toEqual([
        'ph-default',
        'ph-other',
      ]);
    });

    it('refuses a group-wide key without a pharmacy uid before sending anything', async () => {
      server = await startTestServer((_req, res) => json(res, 200, {}));
      const budget = new CountingBudget();
      const error = await executor({ keyScope: 'group', budget })
        .request({
          method: 'GET',
          pathTemplate: '/pharmacy_orders/',
          responseSchema: z.object({}),
          priority: 'order-status',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleConfigError);
      expect((error as RxScaleConfigError).code).toBe('pharmacy_uid_required');
      expect(server.requests).toHaveLength(0);
      expect(budget.taken).toHaveLength(0);
    });

    it('refuses naming another pharmacy with a single-pharmacy key, and malformed uids', async () => {
      server = await startTestServer((_req, res) => json(res, 200, {}));
      const single = executor();
      const call = {
        method: 'GET' as const,
        pathTemplate: '/pharmacy_orders/{uid}',
        responseSchema: z.object({}),
        priority: 'order-status' as const,
      };
      await expect(
        single.request({ ...call, pathParams: { uid: 'po-1' }, pharmacyUid: 'ph-x' }),
      ).rejects.toMatchObject({
        code: 'pharmacy_uid_not_allowed',
      });
      await expect(single.request({ ...call, pathParams: { uid: '../admin' } })).rejects.toMatchObject({
        code: 'uid_invalid',
      });
      await expect(single.request({ ...call, pathParams: {} })).rejects.toMatchObject({
        code: 'path_param_missing',
      });
      expect(server.requests).toHaveLength(0);
    });

    it('refuses a body that does not match the request schema before sending', async () => {
      server = await startTestServer((_req, res) => json(res, 200, {}));
      const error = await executor()
        .request({
          method: 'PATCH',
          pathTemplate: '/pharmacy_skus/{uid}/stock',
          pathParams: { uid: 'psku-1' },
          body: { stock: -987654 },
          requestSchema: z.object({ stock: z.number().int().nonnegative() }),
          responseSchema: z.unknown(),
          priority: 'stock-push',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleSchemaError);
      expect((error as RxScaleSchemaError).code).toBe('request_invalid');
      expect((error as RxScaleSchemaError).path).toBe('stock');
      expect((error as Error).message).not.toContain('987654');
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('errors', () => {
    const cases = [
      [400, { error: 'Missing parameter stock for Jana Vogelsang' }, RxScaleBadRequestError, 'bad_request'],
      [
        401,
        { code: 'invalid_api_key', description: 'API key not found or inactive' },
        RxScaleAuthenticationError,
        'unauthorized',
      ],
      [
        403,
        { code: 'permission_denied', description: 'Permission denied' },
        RxScalePermissionError,
        'permission_denied',
      ],
      [404, { error: 'Resource not found' }, RxScaleNotFoundError, 'not_found'],
      [409, { error: 'Already exists' }, RxScaleConflictError, 'conflict'],
      [422, { error: 'Invalid transition for Jana Vogelsang' }, RxScaleUnprocessableError, 'unprocessable'],
    ] as const;

    it.each(cases)(
      'maps HTTP %i to its error class, without retrying and without body values in the message',
      async (status, body, cls, code) => {
        server = await startTestServer((_req, res) => json(res, status, body));
        const budget = new CountingBudget();
        const error = await executor({ budget })
          .request({
            method: 'GET',
            pathTemplate: '/pharmacy_orders/{uid}',
            pathParams: { uid: 'po-1' },
            responseSchema: z.unknown(),
            priority: 'order-status',
          })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(cls);
        expect(error).toBeInstanceOf(RxScaleApiError);
        expect(error).toBeInstanceOf(RxScaleError);
        const e = error as RxScaleApiError;
        expect(e).toMatchObject({
          status,
          code,
          retryable: false,
          pathTemplate: '/pharmacy_orders/{uid}',
          rawBody: JSON.stringify(body),
        });
        expect(e.requestId).toBe(server.requests[0]!.headers['x-request-id']);
        if ('error' in body) expect(e.errorMessage).toBe(body.error);
        if ('code' in body) {
          expect(e.authCode).toBe(body.code);
          expect(e.message).toContain(body.code);
        }
        expect(e.message).not.toContain('Jana');
        expect(e.message).not.toContain(API_KEY);
        expect(e.message).not.toContain('po-1');
        expect(server.requests).toHaveLength(1);
        expect(budget.taken).toEqual(['order-status']);
      },
    );

    it('retries a 5xx and succeeds, keeping the request id and taking a token per attempt', async () => {
      server = await startTestServer((_req, res, n) =>
        n < 3 ? json(res, n === 1 ? 500 : 503, 'Bad gateway') : json(res, 200, { uid: 'a', stock: 1 }),
      );
      const budget = new CountingBudget();
      const result = await executor({ budget }).request({
        method: 'GET',
        pathTemplate: '/x',
        responseSchema: Item,
        priority: 'shipment',
      });
      expect(result).toEqual({ uid: 'a', stock: 1 });
      expect(server.requests).toHaveLength(3);
      expect(new Set(server.requests.map((r) => r.headers['x-request-id'])).size).toBe(1);
      expect(budget.taken).toEqual(['shipment', 'shipment', 'shipment']);
    });

    it('gives up after maxAttempts with the server error', async () => {
      server = await startTestServer((_req, res) => json(res, 502, { error: 'Bad request' }));
      const error = await executor({ retry: { maxAttempts: 3, baseDelayMs: 5 } })
        .request({ method: 'GET', pathTemplate: '/x', responseSchema: z.unknown(), priority: 'shipment' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleServerError);
      expect(error).toMatchObject({ status: 502, retryable: true, attempts: 3 });
      expect(server.requests).toHaveLength(3);
    });

    it('retries 408', async () => {
      server = await startTestServer((_req, res, n) =>
        n === 1 ? json(res, 408, {}) : json(res, 200, { uid: 'a', stock: 1 }),
      );
      await executor().request({
        method: 'GET',
        pathTemplate: '/x',
        responseSchema: Item,
        priority: 'shipment',
      });
      expect(server.requests).toHaveLength(2);
    });

    it('honours Retry-After in seconds on a 429 and then succeeds', async () => {
      server = await startTestServer((_req, res, n) =>
        n === 1
          ? json(res, 429, { error: 'Rate limit exceeded' }, { 'retry-after': '1' })
          : json(res, 200, { uid: 'a', stock: 1 }),
      );
      await executor().request({
        method: 'GET',
        pathTemplate: '/x',
        responseSchema: Item,
        priority: 'order-status',
      });
      expect(server.requests).toHaveLength(2);
      // A lower bound only: the second attempt did not come before RxScale said it may.
      expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(990);
    });

    it('honours Retry-After as an HTTP date', async () => {
      server = await startTestServer((_req, res, n) =>
        n === 1
          ? json(
              res,
              429,
              { error: 'Rate limit exceeded' },
              { 'retry-after': new Date(Date.now() + 2000).toUTCString() },
            )
          : json(res, 200, { uid: 'a', stock: 1 }),
      );
      await executor().request({
        method: 'GET',
        pathTemplate: '/x',
        responseSchema: Item,
        priority: 'order-status',
      });
      expect(server.requests).toHaveLength(2);
      // The date has one-second resolution, so at least one second must have passed.
      expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(990);
    });

    it('pauses the whole budget on a 429, for Retry-After or as long as the budget finds right', async () => {
      server = await startTestServer((_req, res, n) =>
        n === 1
          ? json(res, 429, { error: 'Rate limit exceeded' }, { 'retry-after': '2' })
          : n === 2
            ? json(res, 429, { error: 'Rate limit exceeded' })
            : json(res, 200, { uid: 'a', stock: 1 }),
      );
      const pauses: number[] = [];
      const inner = new InProcessRateBudget({ perSecond: 1000, perMinute: 100_000 });
      const budget: RateBudget = {
        take: (p, s) => inner.take(p, s),
        close: () => inner.close(),
        pause: (ms) => {
          pauses.push(ms ?? -1);
          return Promise.resolve();
        },
      };
      await executor({ budget }).request({
        method: 'GET',
        pathTemplate: '/x',
        responseSchema: Item,
        priority: 'shipment',
      });
      expect(pauses).toEqual([2000, -1]); // -1: no Retry-After, the budget picks
      await inner.close();
    });

    it('retries a 429 without Retry-After with backoff, and reports it when it persists', async () => {
      server = await startTestServer((_req, res) => json(res, 429, { error: 'Rate limit exceeded' }));
      const error = await executor({ retry: { maxAttempts: 2, baseDelayMs: 5 } })
        .request({ method: 'GET', pathTemplate: '/x', responseSchema: z.unknown(), priority: 'order-status' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleRateLimitError);
      expect(error).toMatchObject({
        status: 429,
        retryable: true,
        retryAfterMs: undefined,
        errorMessage: 'Rate limit exceeded',
      });
      expect(server.requests).toHaveLength(2);
    });

    it('does not wait for a Retry-After beyond the total time cap', async () => {
      server = await startTestServer((_req, res) =>
        json(res, 429, { error: 'Rate limit exceeded' }, { 'retry-after': '120' }),
      );
      const error = await executor({ retry: { maxElapsedMs: 5000 } })
        .request({ method: 'GET', pathTemplate: '/x', responseSchema: z.unknown(), priority: 'order-status' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'rate_limited', retryAfterMs: 120_000 });
      expect(server.requests).toHaveLength(1);
    });

    it('reports a 200 whose body is not JSON as a schema error', async () => {
      server = await startTestServer((_req, res) => json(res, 200, '{"data": [ {"uid": '));
      const error = await executor()
        .request({
          method: 'GET',
          pathTemplate: '/pharmacy_skus/',
          responseSchema: ItemList,
          priority: 'reconciliation',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleSchemaError);
      expect(error).toMatchObject({ code: 'schema_mismatch', retryable: false, path: '', status: 200 });
      expect(server.requests).toHaveLength(1);
    });

    it('names the path of a missing or mistyped field, never its value, and tolerates unknown fields', async () => {
      server = await startTestServer((_req, res) =>
        json(res, 200, {
          data: [{ uid: 'psku-1', stock: 3, unknown: true }, { stock: 'Jana Vogelsang' }],
          totalRegistries: 2,
          totalPages: 1,
        }),
      );
      const error = await executor()
        .request({
          method: 'GET',
          pathTemplate: '/pharmacy_skus/',
          responseSchema: ItemList,
          priority: 'reconciliation',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleSchemaError);
      const e = error as RxScaleSchemaError;
      expect(e.path).toBe('data[1].uid');
      expect(e.issues.map((i) => i.path)).toEqual(['data[1].uid', 'data[1].stock']);
      expect(e.message).toContain('data[1].uid');
      expect(e.message).not.toContain('Jana');
    });

    it('times out a hung connection, retries it, and reports a timeout', async () => {
      server = await startTestServer(() => undefined); // accepts, reads the request, never answers
      const error = await executor({ timeoutMs: 200, retry: { maxAttempts: 2, baseDelayMs: 5 } })
        .request({
          method: 'GET',
          pathTemplate: '/health/',
          responseSchema: z.unknown(),
          priority: 'reconciliation',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleTimeoutError);
      expect(error).toMatchObject({ code: 'timeout', retryable: true, timeoutMs: 200, attempts: 2 });
      expect(server.requests).toHaveLength(2);
    });

    it('times out an answer that stalls after its headers', async () => {
      server = await startTestServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"uid": "a",');
      });
      const error = await executor({ timeoutMs: 200, retry: { maxAttempts: 1 } })
        .request({ method: 'GET', pathTemplate: '/x', responseSchema: Item, priority: 'reconciliation' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleTimeoutError);
    });

    it('reports a refused connection as a retryable connection error', async () => {
      server = await startTestServer(() => undefined);
      const url = server.url;
      await server.close();
      server = undefined;
      const error = await new RxScaleRequestExecutor({
        baseUrl: url,
        apiKey: API_KEY,
        retry: { maxAttempts: 2, baseDelayMs: 5 },
      })
        .request({
          method: 'GET',
          pathTemplate: '/health/',
          responseSchema: z.unknown(),
          priority: 'reconciliation',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleConnectionError);
      expect(error).toMatchObject({ code: 'connection_failed', retryable: true, attempts: 2 });
      expect((error as Error).message).toContain('ECONNREFUSED');
    });

    it('reports a budget that cannot give tokens as a transient budget error, sending nothing', async () => {
      server = await startTestServer((_req, res) => json(res, 200, {}));
      const broken: RateBudget = {
        take: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')),
        close: () => Promise.resolve(),
      };
      const error = await executor({ budget: broken })
        .request({
          method: 'GET',
          pathTemplate: '/health/',
          responseSchema: z.unknown(),
          priority: 'order-status',
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleBudgetError);
      expect(error).toMatchObject({ code: 'budget_unavailable', retryable: true });
      expect(server.requests).toHaveLength(0);
    });

    it('stops at once when the caller aborts, with the caller’s reason', async () => {
      server = await startTestServer(() => undefined);
      const controller = new AbortController();
      const pending = executor({ timeoutMs: 5000 }).request({
        method: 'GET',
        pathTemplate: '/health/',
        responseSchema: z.unknown(),
        priority: 'reconciliation',
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(new Error('shutdown')), 100);
      await expect(pending).rejects.toThrow('shutdown');
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('hooks', () => {
    it('reports every attempt with the path template, pharmacy, status, attempt and duration, and nothing secret', async () => {
      server = await startTestServer((_req, res, n) =>
        n === 1 ? json(res, 503, {}) : json(res, 200, { uid: 'a', stock: 1 }),
      );
      const requests: RxScaleRequestEvent[] = [];
      const responses: RxScaleResponseEvent[] = [];
      await executor({
        keyScope: 'group',
        pharmacyUid: 'ph-7q2lnd',
        hooks: {
          onRequest: (e) => requests.push(e),
          onResponse: (e) => {
            responses.push(e);
            throw new Error('a broken hook must not break the call');
          },
        },
      }).request({
        method: 'PATCH',
        pathTemplate: '/pharmacy_orders/{uid}/status',
        pathParams: { uid: 'po-77' },
        body: { status: 'in-progress' },
        responseSchema: Item,
        priority: 'order-status',
      });
      expect(requests.map((e) => e.attempt)).toEqual([1, 2]);
      expect(responses).toMatchObject([
        {
          method: 'PATCH',
          pathTemplate: '/pharmacy_orders/{uid}/status',
          status: 503,
          attempt: 1,
          errorClass: 'RxScaleServerError',
          errorCode: 'server_error',
          willRetry: true,
        },
        { status: 200, attempt: 2, willRetry: false },
      ]);
      expect(responses.every((e) => typeof e.durationMs === 'number' && e.durationMs >= 0)).toBe(true);
      // The pharmacy uid is named (every metric carries it, DESIGN.md §6); path values and the key are not.
      expect(requests.every((e) => e.pharmacyUid === 'ph-7q2lnd')).toBe(true);
      const text = JSON.stringify([requests, responses]);
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain('po-77');
    });
  });
});
