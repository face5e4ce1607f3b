import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@rxbridge/testing';
import type { RunningSandbox } from '../src/index.js';
import { admin, api, createOrder, deliveries, requestLog, setupChain, startTestSandbox } from './helpers.js';

describe('RxScale sandbox: API faults on demand', () => {
  let sb: RunningSandbox;
  let keys: Awaited<ReturnType<typeof setupChain>>['keys'];

  beforeEach(async () => {
    sb = await startTestSandbox({ rateLimit: false });
    ({ keys } = await setupChain(sb));
  });
  afterEach(() => sb.close());

  const listOrders = () => api(sb, 'GET', '/pharmacy_orders/', { key: keys.a1 });
  const lastLog = async () => (await requestLog(sb, 1))[0];

  it('answers a share of one endpoint’s calls with 5xx, deterministically, leaving others alone', async () => {
    const res = await admin(sb, 'POST', '/faults', {
      kind: 'error',
      endpoint: { method: 'GET', path: '/pharmacy_orders/' },
      status: 503,
      rate: 0.5,
    });
    expect(res.status).toBe(201);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await listOrders()).status);
    expect(statuses).toEqual([200, 503, 200, 503, 200, 503]);
    expect((await api(sb, 'GET', '/pharmacy_skus/', { key: keys.a1 })).status).toBe(200);
    const failed = await (async () => {
      for (;;) {
        const r = await listOrders();
        if (r.status === 503) return r;
      }
    })();
    expect(failed.body).toEqual({ error: 'Bad request' });
    const [fault] = (await admin(sb, 'GET', '/faults')).body;
    expect(fault).toMatchObject({ kind: 'error', matched: 8, applied: 4 });
  });

  it('answers the next N calls with 429, with Retry-After when asked, then recovers', async () => {
    await admin(sb, 'POST', '/faults', { kind: 'rate_limit', count: 2, retryAfterSeconds: 1 });
    for (let i = 0; i < 2; i++) {
      const limited = await listOrders();
      expect(limited).toMatchObject({ status: 429, body: { error: 'Rate limit exceeded' } });
      expect(limited.headers.get('retry-after')).toBe('1');
    }
    expect((await listOrders()).status).toBe(200);
    expect((await admin(sb, 'GET', '/faults')).body).toEqual([]);
    await admin(sb, 'POST', '/faults', { kind: 'rate_limit', count: 1 });
    const bare = await listOrders();
    expect(bare.status).toBe(429);
    expect(bare.headers.get('retry-after')).toBeNull();
    expect((await listOrders()).status).toBe(200);
  });

  it('adds latency to one endpoint (the sandbox records how long it held the call)', async () => {
    await admin(sb, 'POST', '/faults', {
      kind: 'latency',
      endpoint: { method: 'PATCH', path: '/pharmacy_skus/{uid}/stock' },
      ms: 250,
      count: 1,
    });
    const res = await api(sb, 'PATCH', '/pharmacy_skus/psku-a1-1/stock', {
      key: keys.a1,
      body: { stock: 4 },
    });
    expect(res.status).toBe(200);
    const entry = await lastLog();
    expect(entry?.endpoint).toBe('PATCH /pharmacy_skus/{uid}/stock');
    // A lower bound the sandbox guarantees by sleeping; no upper bound is asserted.
    expect(entry?.durationMs).toBeGreaterThanOrEqual(245);
  });

  it('hangs a call past the client’s timeout without processing it', async () => {
    const uid = await createOrder(sb, {
      pharmacy_uid: 'ph-a1',
      items: [{ pharmacy_sku_uid: 'psku-a1-1', amount: 1 }],
    });
    await admin(sb, 'POST', '/faults', {
      kind: 'hang',
      endpoint: { method: 'PATCH', path: '/pharmacy_orders/{uid}/status' },
      count: 1,
    });
    await expect(
      api(sb, 'PATCH', `/pharmacy_orders/${uid}/status`, {
        key: keys.a1,
        body: { status: 'pending review' },
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
    expect((await admin(sb, 'GET', `/orders/${uid}`)).body.status).toBe('waiting for pharmacy');
    // The fault is used up: the retry goes through.
    const retry = await api(sb, 'PATCH', `/pharmacy_orders/${uid}/status`, {
      key: keys.a1,
      body: { status: 'pending review' },
    });
    expect(retry.status).toBe(200);
  });

  it('refuses a fault with an unknown kind, endpoint or bad numbers, naming the problem', async () => {
    const bad = [
      [{ kind: 'explode' }, 'kind must be one of'],
      [{ kind: 'error', endpoint: { path: '/nope/' } }, 'path must be one of the endpoint templates'],
      [{ kind: 'error', status: 404 }, 'status'],
      [{ kind: 'latency' }, 'ms'],
      [{ kind: 'error', rate: 2 }, 'rate'],
    ] as const;
    for (const [body, problem] of bad) {
      const res = await admin(sb, 'POST', '/faults', body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(JSON.stringify(res.body)).toContain(problem);
    }
    expect((await admin(sb, 'GET', '/faults')).body).toEqual([]);
  });

  it('lists, removes one and clears all faults', async () => {
    const a = (await admin(sb, 'POST', '/faults', { kind: 'error' })).body;
    await admin(sb, 'POST', '/faults', { kind: 'latency', ms: 10 });
    expect((await admin(sb, 'GET', '/faults')).body).toHaveLength(2);
    expect((await admin(sb, 'DELETE', `/faults/${a.id}`)).status).toBe(204);
    expect((await admin(sb, 'DELETE', `/faults/${a.id}`)).status).toBe(404);
    expect((await admin(sb, 'DELETE', '/faults')).status).toBe(204);
    expect((await listOrders()).status).toBe(200);
  });

  it('times out a webhook receiver that does not answer, and records it', async () => {
    const hung = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const quick = await startTestSandbox({ rateLimit: false, webhooks: { timeoutMs: 200, maxAttempts: 2 } });
    try {
      const { keys: k } = await setupChain(quick);
      const target = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/hooks`;
      await api(quick, 'POST', '/webhooks/', {
        key: k.a1,
        body: { target, notification_type: 'pharmacy_order_created' },
      });
      await createOrder(quick, {
        pharmacy_uid: 'ph-a1',
        items: [{ pharmacy_sku_uid: 'psku-a1-1', amount: 1 }],
      });
      await waitFor(async () => (await deliveries(quick)).idle, 'deliveries to settle');
      const [d] = (await deliveries(quick)).deliveries;
      expect(d?.state).toBe('failed');
      expect(d?.attempts.map((a) => [a.status, a.error])).toEqual([
        [null, 'no answer within 200 ms'],
        [null, 'no answer within 200 ms'],
      ]);
    } finally {
      await quick.close();
      hung.closeAllConnections();
      await new Promise<void>((r) => hung.close(() => r()));
    }
  });
});
