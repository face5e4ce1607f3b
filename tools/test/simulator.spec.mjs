// The pharmacy simulator against one HTTP server that answers the three services' routes the way the
// services do (same paths, bodies, error codes). What the real services make of its calls is the
// end-to-end suite's part (test/e2e/); here: what it sends, when, with which headers, and what it logs.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@rxbridge/testing';
import { createSimulator, inventedArticleId, stockLinesFromSeed } from '../simulator/simulator.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seed = JSON.parse(readFileSync(join(root, 'apps/rxscale-sandbox/seed/demo-chain.json'), 'utf8'));
const TOKEN = 'rxb_simulator-test-token';

/** A stand-in for the services' REST edges: records every request, answers from `state`. */
async function fakeServices() {
  /** @type {{ method: string, path: string, headers: import('node:http').IncomingHttpHeaders, body: any, at: number }[]} */
  const requests = [];
  const state = {
    /** @type {{ pharmacy_order_uid: string, state: string }[]} */ orders: [],
    /** @type {{ pharmacy_order_uid: string, fulfilment: string, state: string }[]} */ shipments: [],
    /** answers for POST /shipments/{uid}/dispatch, in turn, before it is taken */
    /** @type {{ status: number, code: string }[]} */ dispatchRefusals: [],
    stockStatus: 200,
  };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = raw ? JSON.parse(raw) : undefined;
      requests.push({
        method: req.method ?? '',
        path: `${url.pathname}${url.search}`,
        headers: req.headers,
        body,
        at: Date.now(),
      });
      const send = (/** @type {number} */ status, /** @type {unknown} */ json) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`)
        return send(401, { error: { code: 'UNAUTHORIZED', message: 'no valid token' } });
      if (req.method === 'POST' && /^\/pharmacies\/[^/]+\/stock$/.test(url.pathname)) {
        if (state.stockStatus !== 200)
          return send(state.stockStatus, { error: { code: 'UNAVAILABLE', message: 'x' } });
        return send(200, {
          received: body.lines.length,
          accepted: body.lines.length,
          rejected_count: 0,
          rejected: [],
        });
      }
      if (req.method === 'GET' && url.pathname === '/orders')
        return send(200, {
          items: state.orders.filter((o) => o.state === url.searchParams.get('state')),
          next_cursor: null,
        });
      const ready = url.pathname.match(/^\/orders\/([^/]+)\/ready$/);
      if (req.method === 'POST' && ready) {
        const order = state.orders.find((o) => o.pharmacy_order_uid === ready[1]);
        if (!order) return send(404, { error: { code: 'order_not_found', message: 'x' } });
        order.state = 'ready';
        return send(200, order);
      }
      if (req.method === 'GET' && url.pathname === '/shipments')
        return send(200, {
          items: state.shipments.filter((s) => s.state === url.searchParams.get('state')),
          next_cursor: null,
        });
      const ship = url.pathname.match(/^\/shipments\/([^/]+)\/(dispatch|hand-over)$/);
      if (req.method === 'POST' && ship) {
        const shipment = state.shipments.find((s) => s.pharmacy_order_uid === ship[1]);
        if (!shipment) return send(404, { error: { code: 'order_not_found', message: 'x' } });
        const refusal = ship[2] === 'dispatch' ? state.dispatchRefusals.shift() : undefined;
        if (refusal) return send(refusal.status, { error: { code: refusal.code, message: 'x' } });
        shipment.state = ship[2] === 'dispatch' ? 'dispatched' : 'handed-over';
        return send(200, shipment);
      }
      send(404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    state,
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('stockLinesFromSeed', () => {
  const lines = stockLinesFromSeed(seed);

  it("sends every pharmacy SKU of the seed once, under the SKU's external id when it has one", () => {
    expect([...lines.keys()].sort()).toEqual(seed.pharmacies.map((/** @type {any} */ p) => p.uid).sort());
    const total = [...lines.values()].reduce((n, l) => n + l.length, 0);
    expect(total).toBe(seed.pharmacy_skus.length);
    const withId = seed.pharmacy_skus.find((/** @type {any} */ p) => p.external_id);
    const line = lines.get(withId.pharmacy_uid)?.find((l) => l.article_id === withId.external_id);
    expect(line?.on_hand).toBe(withId.stock);
  });

  it('invents a stable article id from the PZN for a SKU without an external id, and sends the PZN', () => {
    const without = seed.pharmacy_skus.find((/** @type {any} */ p) => !p.external_id);
    const pzn = seed.skus.find((/** @type {any} */ s) => s.uid === without.sku_uid).pzn;
    const line = lines.get(without.pharmacy_uid)?.find((l) => l.pzn === pzn);
    expect(line).toEqual({ article_id: inventedArticleId(pzn), on_hand: without.stock, pzn });
    expect(stockLinesFromSeed(seed).get(without.pharmacy_uid)).toEqual(lines.get(without.pharmacy_uid));
  });
});

describe('the simulator', () => {
  /** @type {Awaited<ReturnType<typeof fakeServices>>} */
  let svc;
  /** @type {string[]} */
  let logs;
  /** @type {ReturnType<typeof createSimulator> | undefined} */
  let sim;
  beforeEach(async () => {
    svc = await fakeServices();
    logs = [];
  });
  afterEach(async () => {
    await sim?.stop();
    await svc.close();
  });
  const start = (/** @type {Partial<Parameters<typeof createSimulator>[0]>} */ o = {}) => {
    sim = createSimulator({
      orderServiceUrl: svc.url,
      inventoryServiceUrl: svc.url,
      shippingServiceUrl: svc.url,
      token: TOKEN,
      seed,
      packDelayMs: 300,
      pollMs: 50,
      log: (l) => logs.push(l),
      ...o,
    });
    return sim.start();
  };

  it('sends each pharmacy its stock once, with the token and an Idempotency-Key, before polling', async () => {
    await start();
    const stock = svc.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/stock'));
    expect(stock.map((r) => r.path).sort()).toEqual(
      seed.pharmacies.map((/** @type {any} */ p) => `/pharmacies/${p.uid}/stock`).sort(),
    );
    for (const r of stock) {
      expect(r.headers['idempotency-key']).toMatch(/^sim-/);
      expect(r.body.lines.length).toBeGreaterThan(0);
    }
    expect(new Set(stock.map((r) => r.headers['idempotency-key'])).size).toBe(stock.length);
    expect(logs.filter((l) => l.startsWith('[simulator] stock sent'))).toHaveLength(seed.pharmacies.length);
  });

  it('retries a stock upload the service cannot take yet with the same Idempotency-Key', async () => {
    svc.state.stockStatus = 503;
    const started = start();
    await waitFor(
      () => svc.requests.filter((r) => r.path.endsWith('/stock')).length >= 2 || undefined,
      'two stock attempts',
      { timeoutMs: 5000 },
    );
    svc.state.stockStatus = 200;
    await started;
    const first = svc.requests.filter((r) => r.path === `/pharmacies/${seed.pharmacies[0].uid}/stock`);
    expect(first.length).toBeGreaterThanOrEqual(2);
    expect(new Set(first.map((r) => r.headers['idempotency-key'])).size).toBe(1);
  });

  it('marks an order in progress packed only after the delay, once', async () => {
    await start();
    const seenAt = Date.now();
    svc.state.orders.push({ pharmacy_order_uid: 'po-sim-1', state: 'in_progress' });
    await waitFor(() => svc.state.orders[0].state === 'ready' || undefined, 'order packed', {
      timeoutMs: 5000,
    });
    const ready = svc.requests.filter((r) => r.path === '/orders/po-sim-1/ready');
    expect(ready).toHaveLength(1);
    expect(ready[0].at - seenAt).toBeGreaterThanOrEqual(250);
    expect(ready[0].headers['idempotency-key']).toMatch(/^sim-/);
    expect(logs).toContain('[simulator] order po-sim-1 packed (ready)');
  });

  it('dispatches a shipment with the demo carrier and a demo tracking number, retrying order_not_ready', async () => {
    svc.state.dispatchRefusals.push({ status: 409, code: 'order_not_ready' });
    await start({ carrier: 'DPD' });
    svc.state.shipments.push({ pharmacy_order_uid: 'po-sim-2', fulfilment: 'shipment', state: 'expected' });
    await waitFor(() => svc.state.shipments[0].state === 'dispatched' || undefined, 'dispatched', {
      timeoutMs: 5000,
    });
    const calls = svc.requests.filter((r) => r.path === '/shipments/po-sim-2/dispatch');
    expect(calls).toHaveLength(2);
    expect(calls[1].body).toEqual({
      carrier: 'DPD',
      tracking_number: expect.stringMatching(/^DEMO[0-9A-F]+\d*$/),
    });
    expect(calls[1].body.tracking_number).toBe(calls[0].body.tracking_number);
    expect(logs).toContain('[simulator] order po-sim-2 not ready for shipping yet; retrying later');
    expect(
      logs.some((l) => l.startsWith('[simulator] order po-sim-2 dispatched carrier=DPD tracking=DEMO')),
    ).toBe(true);
  });

  it('hands a pickup order over instead of dispatching it, and leaves a cancelled one alone', async () => {
    svc.state.dispatchRefusals.push({ status: 409, code: 'order_cancelled' });
    await start();
    svc.state.shipments.push({ pharmacy_order_uid: 'po-sim-3', fulfilment: 'hand-over', state: 'expected' });
    svc.state.shipments.push({ pharmacy_order_uid: 'po-sim-4', fulfilment: 'shipment', state: 'expected' });
    await waitFor(() => svc.state.shipments[0].state === 'handed-over' || undefined, 'handed over', {
      timeoutMs: 5000,
    });
    await waitFor(
      () => logs.some((l) => l.includes('po-sim-4 not shipped: 409 order_cancelled')) || undefined,
      'cancelled refusal logged',
      { timeoutMs: 5000 },
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(svc.requests.filter((r) => r.path === '/shipments/po-sim-3/dispatch')).toHaveLength(0);
    expect(svc.requests.filter((r) => r.path === '/shipments/po-sim-4/dispatch')).toHaveLength(1);
  });

  it('stops polling on stop()', async () => {
    await start();
    await sim?.stop();
    const count = svc.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(svc.requests.length).toBe(count);
  });
});

describe('the simulator process', () => {
  it('refuses to start without a token, naming the variable', () => {
    const env = { ...process.env };
    delete env.SIMULATOR_TOKEN;
    const r = spawnSync(process.execPath, [join(root, 'tools/simulator/main.mjs')], {
      env,
      encoding: 'utf8',
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('[simulator] refusing to start: SIMULATOR_TOKEN is required');
  });
});
