// OrderDetailPrefetch against the real sandbox and PostgreSQL: what the kit's `prepare` hook warms before a
// run's transaction, and that the intake's one RxScale read per new order stays one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildRxScaleEvent, type CloudEvent } from '@rxbridge/contracts';
import { RxScaleClient } from '@rxbridge/rxscale-client';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { OrderRepository } from '../src/orders/order.repository.js';
import { OrderDetailPrefetch } from '../src/rxscale/order-detail-prefetch.js';
import { RxScaleOrderDetailSource } from '../src/rxscale/order-detail.source.js';
import { singleClientSource } from '../src/rxscale/rxscale-client-source.js';
import {
  createSandboxOrder,
  createTestDatabase,
  sandboxRequestsFor,
  setupSandboxPharmacy,
  type SandboxPharmacy,
  type TestDatabase,
} from './support/order-test-kit.js';

let sb: RunningSandbox;
let pharmacy: SandboxPharmacy;
let client: RxScaleClient;
let db: TestDatabase;
let prefetch: OrderDetailPrefetch;

/** The webhook as the gateway stores it on Kafka. */
function webhook(type: string, uid: string, pharmacyUid: string): CloudEvent {
  const built = buildRxScaleEvent({
    rawBody: Buffer.from(
      JSON.stringify({
        event_type: type,
        timestamp: 1_790_000_000,
        payload_version: '1',
        // the least an order webhook carries (orderOfWebhook parses it with the contract)
        data: {
          uid,
          status: 'waiting for pharmacy',
          pharmacy: { uid: pharmacyUid, display_name: 'Test' },
          order: { uid: `ord-${uid}` },
          order_items: [],
        },
      }),
    ),
    receivedAt: new Date(),
    source: 'test',
  });
  if (!built.ok) throw built.error;
  return built.event;
}

beforeAll(async () => {
  sb = await startSandbox({ rateLimit: false });
  pharmacy = await setupSandboxPharmacy(sb);
  client = new RxScaleClient({
    baseUrl: sb.apiUrl(),
    apiKey: pharmacy.apiKey,
    pharmacyUid: pharmacy.pharmacyUid,
    timeoutMs: 2_000,
    retry: { maxAttempts: 1 },
  });
  db = await createTestDatabase();
  prefetch = new OrderDetailPrefetch(
    new RxScaleOrderDetailSource(singleClientSource(client)),
    new OrderRepository(),
    db.dataSource,
  );
});

afterAll(async () => {
  await db.drop();
  await client.close();
  await sb.close();
});

describe(OrderDetailPrefetch.name, () => {
  it('fetches each new order of a run once, hands its detail out once, and skips what it cannot fetch', async () => {
    const first = await createSandboxOrder(sb, pharmacy, `po-pre-${Date.now()}-1`);
    const second = await createSandboxOrder(sb, pharmacy, `po-pre-${Date.now()}-2`);
    const missing = `po-pre-missing-${Date.now()}`;
    const events = [
      webhook('pharmacy_order_created', first, pharmacy.pharmacyUid),
      webhook('pharmacy_order_updated', second, pharmacy.pharmacyUid),
      webhook('pharmacy_order_created', missing, pharmacy.pharmacyUid),
      // a repeat of the first within the run: still one read
      webhook('pharmacy_order_created', first, pharmacy.pharmacyUid),
    ];
    await expect(prefetch.prepare(events)).resolves.toBeUndefined();

    expect(prefetch.take(first)).toMatchObject({ uid: first, pharmacy: { uid: pharmacy.pharmacyUid } });
    expect(prefetch.take(second)).toMatchObject({ uid: second });
    // once: the next copy of the order is fetched by the intake itself
    expect(prefetch.take(first)).toBeUndefined();
    // RxScale's 404 is left for the intake, which classifies it in the record's transaction
    expect(prefetch.take(missing)).toBeUndefined();
    // the prescription file never leaves the detail source
    await prefetch.prepare([webhook('pharmacy_order_created', second, pharmacy.pharmacyUid)]);
    expect(prefetch.take(second)).not.toHaveProperty('prescription_file');

    expect((await sandboxRequestsFor(sb, first)).map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200']);
    expect((await sandboxRequestsFor(sb, missing)).map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 404',
    ]);
  });

  it('does not fetch orders already stored, nor other event types', async () => {
    const stored = await createSandboxOrder(sb, pharmacy, `po-pre-stored-${Date.now()}`);
    await db.dataSource.query(
      `INSERT INTO orders (pharmacy_order_uid, pharmacy_uid, order_uid, state, received_at, updated_at)
       VALUES ($1, $2, $3, 'received', now(), now())`,
      [stored, pharmacy.pharmacyUid, `ord-${stored}`],
    );
    const other = await createSandboxOrder(sb, pharmacy, `po-pre-other-${Date.now()}`);
    const stockEvent = buildRxScaleEvent({
      rawBody: Buffer.from(
        JSON.stringify({
          event_type: 'pharmacy_sku_stock_updated',
          timestamp: 1_790_000_000,
          payload_version: '1',
          data: { uid: other, external_id: null, stock: 1, pharmacy: pharmacy.pharmacyUid },
        }),
      ),
      receivedAt: new Date(),
      source: 'test',
    });
    if (!stockEvent.ok) throw stockEvent.error;
    await prefetch.prepare([
      webhook('pharmacy_order_updated', stored, pharmacy.pharmacyUid),
      stockEvent.event,
    ]);
    expect(prefetch.take(stored)).toBeUndefined();
    expect(prefetch.take(other)).toBeUndefined();
    expect(await sandboxRequestsFor(sb, stored)).toEqual([]);
    expect(await sandboxRequestsFor(sb, other)).toEqual([]);
  });
});
