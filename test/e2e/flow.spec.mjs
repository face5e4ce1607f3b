// The whole order flow on the whole stack (sandbox, gateway, order, inventory and shipping services as
// separate processes; real Kafka and PostgreSQL). The test plays the pharmacy itself through the services'
// REST APIs (the simulator is off), so it decides when each step happens.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INVENTED_PATIENT, INVENTED_PERSON_MARKERS, waitFor } from '@rxbridge/testing';
import { stockLinesFromSeed } from '@rxbridge/tools/simulator';
import {
  countTypes,
  deadLetterCounts,
  sandboxAddress,
  sandboxPatient,
  createSandboxOrder,
  eventLog,
  leakedMarkers,
  localState,
  patientMarkers,
  sandboxOrder,
  sandboxStatus,
  shipmentState,
  startE2EStack,
} from './support/stack.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seed = JSON.parse(readFileSync(join(root, 'apps/rxscale-sandbox/seed/demo-chain.json'), 'utf8'));
const LINDENPLATZ = 'ph-demo-lindenplatz'; // out-of-stock policy on-hold (the default)
const MARKT = 'ph-demo-markt'; // out-of-stock policy cancel

/** @type {import('./support/stack.mjs').E2EStack} */
let s;
/** @type {Awaited<ReturnType<typeof eventLog>>} */
let events;

/** The seed's pharmacy SKU and the PMS article it maps to. @param {string} uid */
function article(uid) {
  const ps = seed.pharmacy_skus.find((/** @type {any} */ p) => p.uid === uid);
  const pzn = seed.skus.find((/** @type {any} */ k) => k.uid === ps.sku_uid).pzn;
  const line = stockLinesFromSeed(seed)
    .get(ps.pharmacy_uid)
    ?.find((l) => l.pzn === pzn && (ps.external_id ? l.article_id === ps.external_id : true));
  return { pharmacy: ps.pharmacy_uid, articleId: line?.article_id ?? '', seedStock: ps.stock };
}

/** inventory-service's level of an article. @param {string} pskuUid */
async function level(pskuUid) {
  const a = article(pskuUid);
  const r = await s.api('inventory', `/pharmacies/${a.pharmacy}/stock/${encodeURIComponent(a.articleId)}`);
  expect(r.status).toBe(200);
  return /** @type {{ on_hand: number, reserved: number, available: number }} */ (r.body);
}

/** The sandbox's stock of a pharmacy SKU. @param {string} pskuUid */
async function rxscaleStock(pskuUid) {
  const r = await s.admin(`/pharmacy-skus/${pskuUid}`);
  return /** @type {{ stock: number }} */ (r.body).stock;
}

/** @param {string} uid */
const eventIdsUnique = (uid) => {
  const ids = events.of(uid).map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
};

beforeAll(async () => {
  s = await startE2EStack({
    name: 'flow',
    envOverrides: {
      'order-service': { ORDERS_OUT_OF_STOCK_POLICY_BY_PHARMACY: JSON.stringify({ [MARKT]: 'cancel' }) },
    },
  });
  events = await eventLog();
  // The PMS's stock levels, as the simulator sends them.
  for (const [pharmacy, lines] of stockLinesFromSeed(seed)) {
    const r = await s.api('inventory', `/pharmacies/${pharmacy}/stock`, { method: 'POST', body: { lines } });
    expect(r.status).toBe(200);
    expect(/** @type {any} */ (r.body).rejected_count).toBe(0);
  }
}, 240_000);

afterAll(async () => {
  await events?.stop();
  await s?.stop();
});

describe('an order shipped by carrier', () => {
  it('is received, reserved, in progress, ready, shipped with tracking and completed at RxScale, stock deducted once on both sides, every event once', async () => {
    const psku = 'psku-demo-1-004';
    const before = await level(psku);
    const rxBefore = await rxscaleStock(psku);
    const uid = await createSandboxOrder(s, {
      pharmacy_uid: LINDENPLATZ,
      items: [{ pharmacy_sku_uid: psku, amount: 2 }],
      patient: sandboxPatient(INVENTED_PATIENT),
      delivery_address: sandboxAddress(INVENTED_PATIENT),
    });
    await localState(s, uid, 'in_progress');
    await sandboxStatus(s, uid, 'in-progress');
    expect(await level(psku)).toMatchObject({ on_hand: before.on_hand, reserved: before.reserved + 2 });

    const ready = await s.api('order', `/orders/${uid}/ready`, { method: 'POST', body: {} });
    expect(ready.status).toBe(200);
    await sandboxStatus(s, uid, 'ready_for_pickup');
    await shipmentState(s, uid, 'expected');

    const dispatch = await s.api('shipping', `/shipments/${uid}/dispatch`, {
      method: 'POST',
      body: {
        carrier: 'DHL',
        tracking_number: 'E2E0001234',
        tracking_url: 'https://tracking.example.invalid/E2E0001234',
      },
    });
    expect(dispatch.status).toBe(200);
    const completed = await sandboxStatus(s, uid, 'completed');
    expect(completed.shipment).toMatchObject({ carrier: 'DHL', tracking_number: 'E2E0001234' });
    await localState(s, uid, 'completed');

    // Deducted once: inventory's on hand down by 2, nothing reserved; RxScale's stock down by 2 once the
    // push after the deduction restored what complete_order took twice.
    await waitFor(async () => {
      const l = await level(psku);
      return l.on_hand === before.on_hand - 2 && l.reserved === before.reserved ? l : undefined;
    }, 'the deduction in inventory-service');
    await waitFor(
      async () => ((await rxscaleStock(psku)) === rxBefore - 2 ? true : undefined),
      "RxScale's stock down by 2",
    );

    await waitFor(
      () => (countTypes(events.of(uid))['pharmacy.stock.deducted'] ? true : undefined),
      'stock.deducted on Kafka',
    );
    const counts = countTypes(events.of(uid));
    for (const type of [
      'pharmacy.order.received',
      'pharmacy.stock.reserved',
      'pharmacy.order.ready-for-pickup',
      'pharmacy.shipment.dispatched',
      'pharmacy.order.completed',
      'pharmacy.stock.deducted',
    ])
      expect([type, counts[type]]).toEqual([type, 1]);
    eventIdsUnique(uid);
    // A second dispatch of the same shipment is refused; RxScale is not called again.
    const again = await s.api('shipping', `/shipments/${uid}/dispatch`, {
      method: 'POST',
      body: { carrier: 'DHL', tracking_number: 'E2E0009999' },
    });
    expect(again.status).toBe(409);
    expect(/** @type {any} */ (again.body).error.code).toBe('shipment_already_dispatched');
  });
});

describe('a pickup order', () => {
  it('is handed over in person and completed at RxScale, stock deducted once, every event once', async () => {
    const psku = 'psku-demo-1-009';
    const before = await level(psku);
    const uid = await createSandboxOrder(s, {
      pharmacy_uid: LINDENPLATZ,
      items: [{ pharmacy_sku_uid: psku, amount: 1 }],
      delivery: 'pickup',
      patient: sandboxPatient(INVENTED_PATIENT),
    });
    await localState(s, uid, 'in_progress');
    expect((await s.api('order', `/orders/${uid}/ready`, { method: 'POST', body: {} })).status).toBe(200);
    const shipment = await shipmentState(s, uid, 'expected');
    expect(shipment.fulfilment).toBe('hand-over');
    const refused = await s.api('shipping', `/shipments/${uid}/dispatch`, {
      method: 'POST',
      body: { carrier: 'DHL', tracking_number: 'E2E0005555' },
    });
    expect(refused.status).toBe(409);
    expect(/** @type {any} */ (refused.body).error.code).toBe('delivery_type_mismatch');
    const handOver = await s.api('shipping', `/shipments/${uid}/hand-over`, { method: 'POST', body: {} });
    expect(handOver.status).toBe(200);
    await sandboxStatus(s, uid, 'completed');
    await localState(s, uid, 'completed');
    await waitFor(
      async () => ((await level(psku)).on_hand === before.on_hand - 1 ? true : undefined),
      'the deduction',
    );
    await waitFor(
      () => (countTypes(events.of(uid))['pharmacy.stock.deducted'] ? true : undefined),
      'stock.deducted on Kafka',
    );
    const counts = countTypes(events.of(uid));
    expect(counts['pharmacy.shipment.handed-over']).toBe(1);
    expect(counts['pharmacy.shipment.dispatched']).toBeUndefined();
    expect(counts['pharmacy.order.completed']).toBe(1);
    eventIdsUnique(uid);
  });
});

describe('cancellation', () => {
  it('before dispatch: the reservation is released, the shipment stopped, and a dispatch is refused with order_cancelled', async () => {
    const psku = 'psku-demo-1-003';
    const before = await level(psku);
    const uid = await createSandboxOrder(s, {
      pharmacy_uid: LINDENPLATZ,
      items: [{ pharmacy_sku_uid: psku, amount: 1 }],
    });
    await localState(s, uid, 'in_progress');
    expect((await s.api('order', `/orders/${uid}/ready`, { method: 'POST', body: {} })).status).toBe(200);
    await shipmentState(s, uid, 'expected');
    expect(
      (await s.admin(`/orders/${uid}/cancel`, { method: 'POST', body: { reason: 'patient withdrew' } }))
        .status,
    ).toBe(200);
    await localState(s, uid, 'cancelled');
    await shipmentState(s, uid, 'stopped');
    await waitFor(
      async () => ((await level(psku)).reserved === before.reserved ? true : undefined),
      'the release',
    );
    expect((await level(psku)).on_hand).toBe(before.on_hand);
    const dispatch = await s.api('shipping', `/shipments/${uid}/dispatch`, {
      method: 'POST',
      body: { carrier: 'DHL', tracking_number: 'E2E0007777' },
    });
    expect(dispatch.status).toBe(409);
    expect(/** @type {any} */ (dispatch.body).error).toMatchObject({
      code: 'order_cancelled',
      message: expect.any(String),
    });
    expect((await sandboxOrder(s, uid)).status).toBe('cancelled');
    await waitFor(
      () => (countTypes(events.of(uid))['pharmacy.stock.released'] ? true : undefined),
      'stock.released on Kafka',
    );
    expect(countTypes(events.of(uid))['pharmacy.stock.released']).toBe(1);
    eventIdsUnique(uid);
  });

  it('after dispatch (RxScale cancels before complete_order went through): the shipment is flagged for a person', async () => {
    const psku = 'psku-demo-1-006';
    const uid = await createSandboxOrder(s, {
      pharmacy_uid: LINDENPLATZ,
      items: [{ pharmacy_sku_uid: psku, amount: 1 }],
    });
    await localState(s, uid, 'in_progress');
    expect((await s.api('order', `/orders/${uid}/ready`, { method: 'POST', body: {} })).status).toBe(200);
    await shipmentState(s, uid, 'expected');
    // complete_order fails for a while, so the order is still ready_for_pickup at RxScale when it cancels.
    const fault = await s.admin('/faults', {
      method: 'POST',
      body: {
        kind: 'error',
        status: 503,
        count: 1000,
        endpoint: { method: 'PATCH', path: '/pharmacy_orders/{uid}/complete_order' },
      },
    });
    expect(fault.status).toBeLessThan(300);
    try {
      const dispatch = await s.api('shipping', `/shipments/${uid}/dispatch`, {
        method: 'POST',
        body: { carrier: 'DPD', tracking_number: 'E2E0008888' },
      });
      expect(dispatch.status).toBe(200);
      await shipmentState(s, uid, 'dispatched');
      expect(
        (await s.admin(`/orders/${uid}/cancel`, { method: 'POST', body: { reason: 'fraud suspected' } }))
          .status,
      ).toBe(200);
      await shipmentState(s, uid, 'flagged');
      await localState(s, uid, 'cancelled');
    } finally {
      await s.admin('/faults', { method: 'DELETE' });
    }
    expect((await sandboxOrder(s, uid)).status).toBe('cancelled');
    await waitFor(
      () => (countTypes(events.of(uid))['pharmacy.shipment.flagged'] ? true : undefined),
      'shipment.flagged on Kafka',
    );
    expect(countTypes(events.of(uid))['pharmacy.shipment.flagged']).toBe(1);
    eventIdsUnique(uid);
  });
});

describe('out of stock', () => {
  it('under on-hold: the order goes on hold at RxScale with a comment naming the missing item, nothing reserved', async () => {
    const psku = 'psku-demo-1-001'; // stock 0 in the seed
    const uid = await createSandboxOrder(s, {
      pharmacy_uid: LINDENPLATZ,
      items: [{ pharmacy_sku_uid: psku, amount: 1 }],
    });
    const held = await sandboxStatus(s, uid, 'on-hold');
    const last = held.status_history?.at?.(-1) ?? (await s.admin(`/orders/${uid}/history`)).body;
    expect(JSON.stringify(last)).toMatch(/comment/);
    await localState(s, uid, 'on_hold');
    expect((await level(psku)).reserved).toBe(0);
    await waitFor(
      () => (countTypes(events.of(uid))['pharmacy.stock.reservation-failed'] ? true : undefined),
      'reservation-failed',
    );
    expect(countTypes(events.of(uid))['pharmacy.stock.reservation-failed']).toBe(1);
  });

  it('under cancel: the order is cancelled at RxScale (which re-routes it), nothing reserved', async () => {
    const psku = 'psku-demo-2-010'; // stock 0 in the seed
    const uid = await createSandboxOrder(s, {
      pharmacy_uid: MARKT,
      items: [{ pharmacy_sku_uid: psku, amount: 1 }],
    });
    await sandboxStatus(s, uid, 'cancelled');
    await localState(s, uid, 'cancelled');
    expect((await level(psku)).reserved).toBe(0);
    expect(countTypes(events.of(uid))['pharmacy.stock.reserved']).toBeUndefined();
  });
});

describe('the shipping desk', () => {
  it('refuses a shipment for an order it does not know with 404 order_not_found, and a bad carrier with 422', async () => {
    const unknown = await s.api('shipping', '/shipments/po-e2e-never-seen/dispatch', {
      method: 'POST',
      body: { carrier: 'DHL', tracking_number: 'E2E0000404' },
    });
    expect(unknown.status).toBe(404);
    expect(/** @type {any} */ (unknown.body).error).toMatchObject({
      code: 'order_not_found',
      message: expect.any(String),
    });
    const badCarrier = await s.api('shipping', '/shipments/po-e2e-never-seen/dispatch', {
      method: 'POST',
      body: { carrier: 'Owl Post', tracking_number: 'E2E0000422' },
    });
    expect(badCarrier.status).toBe(422);
  });
});

describe('the logs of the run', () => {
  it('dead-lettered nothing: every record of the run was handled or knowingly dropped', async () => {
    const counts = await deadLetterCounts(Object.values(s.groups));
    expect(Object.keys(counts)).toHaveLength(3);
    expect(counts).toEqual(Object.fromEntries(Object.keys(counts).map((topic) => [topic, 0])));
  });

  it('hold no patient data of the fixtures, and no process exited', () => {
    expect(s.exits).toEqual([]);
    expect(leakedMarkers(s.logText(), patientMarkers(seed, INVENTED_PERSON_MARKERS))).toEqual([]);
    expect(s.logText().length).toBeGreaterThan(0);
  });
});
