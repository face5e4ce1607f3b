import { buildRxScaleEvent } from '@rxbridge/contracts';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { type Producer } from 'kafkajs';
import { waitFor } from '@rxbridge/testing';
import {
  admin,
  orderReceived,
  outboxEvents,
  sandboxPharmacy,
  sandboxStock,
} from './support/inventory-test-kit.js';
import {
  call,
  dropSchema,
  ensureTopics,
  newSchema,
  orderProducer,
  publish,
  startInventory,
  TOKENS,
  type RunningInventory,
} from './support/inventory-app.js';

/** Two replicas on one schema and group; a restart while pushing; RxScale's portal changing a level. */
describe('inventory-service replicas, restarts and portal changes', () => {
  let sb: RunningSandbox;
  let producer: Producer;
  const apps: RunningInventory[] = [];
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, rateLimit: false, webhooks: { baseDelayMs: 20 } });
    await ensureTopics();
    producer = await orderProducer();
  });
  afterEach(async () => {
    await admin(sb, 'DELETE', '/faults');
  });
  afterAll(async () => {
    const schemas = new Map(apps.map((a) => [a.schema, a]));
    for (const a of apps.splice(0)) await a.close().catch(() => undefined);
    for (const a of schemas.values()) await dropSchema(a);
    await producer.disconnect();
    await sb.close();
  });

  async function start(uid: string, key: string, schema: string, groupId?: string) {
    const app = await startInventory({
      sandbox: sb,
      keys: { [uid]: key },
      schema,
      env: { INVENTORY_PUSH_COALESCE_MS: '0' },
      ...(groupId ? { groupId } : {}),
    });
    apps.push(app);
    return app;
  }

  it('gives the last unit to exactly one of two orders competing on two replicas of one group', async () => {
    const uid = `ph-race-${run}`;
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count: 1, stock: 0, externalIds: true });
    const schema = newSchema();
    const group = `inventory-race-${run}`;
    const one = await start(uid, ph.apiKey, schema, group);
    const two = await start(uid, ph.apiKey, schema, group);
    await call(one, 'PUT', `/pharmacies/${uid}/stock/ART-0`, {
      token: TOKENS.writer.token,
      body: { on_hand: 1 },
    });
    const orders = Array.from({ length: 6 }, (_, i) => `po-${run}-race-${i}`);
    await Promise.all(
      orders.map((o) =>
        publish(
          producer,
          'pharmacy.order.received',
          orderReceived(uid, o, [{ pharmacySkuUid: ph.pharmacySkuUids[0]!, quantity: 1 }]),
        ),
      ),
    );
    const settled = await waitFor(async () => {
      const reserved = await outboxEvents(one.dataSource, 'pharmacy.stock.reserved');
      const failed = await outboxEvents(one.dataSource, 'pharmacy.stock.reservation-failed');
      const mine = (e: { data: Record<string, unknown> }) =>
        orders.includes(e.data.pharmacy_order_uid as string);
      const r = reserved.filter(mine);
      const f = failed.filter(mine);
      return r.length + f.length === orders.length ? { r, f } : undefined;
    }, 'every order settled');
    expect(settled.r).toHaveLength(1);
    expect(settled.f).toHaveLength(5);
    const level = await call(two, 'GET', `/pharmacies/${uid}/stock/ART-0`, { token: TOKENS.reader.token });
    expect(level.body).toMatchObject({ on_hand: 1, reserved: 1, available: 0 });
    await waitFor(async () => (await sandboxStock(sb, ph.pharmacySkuUids[0]!)) === 0, 'available 0 pushed');
  });

  it('converges after a restart in the middle of pushing', async () => {
    const uid = `ph-restart-${run}`;
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count: 8, stock: 0, externalIds: true });
    const schema = newSchema();
    const first = await start(uid, ph.apiKey, schema);
    await waitFor(() => Promise.resolve(first.jobs.skuSync.lastRun), 'the sync at start');
    await admin(sb, 'POST', '/faults', {
      kind: 'latency',
      ms: 2000,
      endpoint: { path: '/pharmacy_skus/{uid}/stock' },
    });
    await call(first, 'POST', `/pharmacies/${uid}/stock`, {
      token: TOKENS.writer.token,
      body: { lines: ph.pharmacySkuUids.map((_, i) => ({ article_id: `ART-${i}`, on_hand: 10 + i })) },
    });
    const pushed = async () => {
      let n = 0;
      for (let i = 0; i < 8; i++) if ((await sandboxStock(sb, ph.pharmacySkuUids[i]!)) === 10 + i) n++;
      return n;
    };
    await waitFor(async () => (await pushed()) >= 1, 'some pushes through');
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    expect(await pushed()).toBeLessThan(8);
    await admin(sb, 'DELETE', '/faults');
    const second = await start(uid, ph.apiKey, schema);
    await waitFor(async () => (await pushed()) === 8, 'every SKU at its value after the restart', {
      timeoutMs: 30_000,
    });
    await second.close();
    apps.splice(apps.indexOf(second), 1);
    apps.push(second); // schema dropped at the end
  });

  it('detects a change in the Pharmacy Portal (webhook and reconciliation) and pushes the PMS value again', async () => {
    const uid = `ph-portal-${run}`;
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count: 2, stock: 0, externalIds: true });
    const app = await start(uid, ph.apiKey, newSchema());
    await waitFor(() => Promise.resolve(app.jobs.skuSync.lastRun), 'the sync at start');
    await call(app, 'POST', `/pharmacies/${uid}/stock`, {
      token: TOKENS.writer.token,
      body: {
        lines: [
          { article_id: 'ART-0', on_hand: 12 },
          { article_id: 'ART-1', on_hand: 20 },
        ],
      },
    });
    const [p0, p1] = ph.pharmacySkuUids as [string, string];
    await waitFor(
      async () => (await sandboxStock(sb, p0)) === 12 && (await sandboxStock(sb, p1)) === 20,
      'pushed',
    );

    // 1. the portal sets 3; its webhook arrives through the gateway's topic
    await admin(sb, 'PATCH', `/pharmacy-skus/${p0}/stock`, { stock: 3 });
    const body = Buffer.from(
      JSON.stringify({
        event_type: 'pharmacy_sku_stock_updated',
        timestamp: Math.floor(Date.now() / 1000),
        payload_version: '1',
        data: { uid: p0, external_id: 'ART-0', stock: 3, pharmacy: uid },
      }),
    );
    const built = buildRxScaleEvent({
      rawBody: body,
      receivedAt: new Date(),
      source: '/webhooks/rxscale/test',
    });
    if (!built.ok) throw built.error;
    await producer.send({
      topic: built.topic,
      messages: [{ key: built.key, value: JSON.stringify(built.event) }],
    });
    await waitFor(async () => (await sandboxStock(sb, p0)) === 12, 'the PMS value pushed again');
    const disagreements = await app.dataSource.query<{ reported_stock: number; repaired_to: number }[]>(
      'SELECT reported_stock, repaired_to FROM stock_disagreement WHERE pharmacy_sku_uid = $1',
      [p0],
    );
    expect(disagreements).toEqual([{ reported_stock: 3, repaired_to: 12 }]);

    // 2. a change whose webhook never came: reconciliation finds and repairs it
    await admin(sb, 'PATCH', `/pharmacy-skus/${p1}/stock`, { stock: 1 });
    const reconcile = await call(app, 'POST', '/operations/reconcile', { token: TOKENS.operator.token });
    expect(reconcile.status).toBe(200);
    expect(reconcile.body).toMatchObject({ job: 'reconcile', ok: true, summary: { disagreements: 1 } });
    await waitFor(async () => (await sandboxStock(sb, p1)) === 20, 'drift repaired');

    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/rxbridge_inventory_stock_disagreements_total\{outcome="repaired",[^}]*\} 2\n/);
    expect(metrics).toMatch(new RegExp(`rxbridge_inventory_unmapped_skus\\{pharmacy="${uid}",[^}]*\\} 0\n`));
    expect(metrics).toMatch(/rxbridge_inventory_stock_pushes_total\{result="pushed",[^}]*\} [1-9]/);
  });
});
