import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { assertOpenApiDocumentCurrent, listDeadLetters, writeOpenApiDocument } from '@rxbridge/service-kit';
import { buildRxScaleEvent, Topics } from '@rxbridge/contracts';
import {
  INVENTED_PATIENT,
  INVENTED_PERSON_MARKERS,
  kafkaClient,
  requestJson,
  uniqueSuffix,
  waitFor,
} from '@rxbridge/testing';
import { orderWebhookBody } from './support/order-webhook-body.js';
import { sandboxAdmin, sandboxRequestsFor } from './support/order-test-kit.js';
import { startHarness, type Harness, type HarnessPharmacy } from './support/order-service-harness.js';

/**
 * order-service end to end, created through createOrderServiceApp: real broker, real PostgreSQL, the sandbox
 * over HTTP, webhooks reaching the topic as the gateway stores them, inventory's and shipping's events
 * published onto their topics by the test.
 */
let h: Harness;

interface Order {
  state: string;
  rxscale_status: string | null;
  refusal: { requested: string; reason: string; rxscale_status_code: number | null } | null;
  updated_at: string;
  history: { trigger: string; to_state: string; initiator: string; note: string | null }[];
  commands: { requested: string | null; status: string; attempts: number }[];
  patient?: { name: string | null; email: string | null; delivery_address: Record<string, unknown> | null };
}

const line = (p: HarnessPharmacy) => ({ pharmacy_sku_uid: p.pharmacySkuUid, pzn: null, quantity: 1 });

async function sandboxStatus(uid: string): Promise<string> {
  return (await sandboxAdmin<{ status: string }>(h.sb, 'GET', `/orders/${uid}`)).status;
}
async function sandboxHistory(uid: string): Promise<string[]> {
  return (await sandboxAdmin<{ to: string }[]>(h.sb, 'GET', `/orders/${uid}/history`)).map((e) => e.to);
}
async function order(uid: string): Promise<Order | undefined> {
  const res = await h.api<Order>('GET', `/orders/${uid}`);
  return res.status === 200 ? res.body : undefined;
}
async function untilState(uid: string, state: string, rxscale?: string): Promise<Order> {
  return waitFor(
    async () => {
      const o = await order(uid);
      if (o?.state !== state) return undefined;
      if (rxscale && (await sandboxStatus(uid)) !== rxscale) return undefined;
      return o;
    },
    `${uid} in ${state}${rxscale ? ` / ${rxscale} at RxScale` : ''}`,
  );
}
async function reserved(p: HarnessPharmacy, uid: string): Promise<void> {
  await h.publish('pharmacy.stock.reserved', {
    pharmacy_uid: p.uid,
    pharmacy_order_uid: uid,
    lines: [line(p)],
    reserved_at: new Date().toISOString(),
  });
}
async function dispatched(p: HarnessPharmacy, uid: string): Promise<void> {
  await h.publish('pharmacy.shipment.dispatched', {
    pharmacy_uid: p.uid,
    pharmacy_order_uid: uid,
    shipment_uid: `shp-${uid}`,
    carrier: 'DHL',
    tracking_number: `JJD${uid.length}0001`,
    tracking_url: 'https://tracking.example.invalid/JJD',
    dispatched_at: new Date().toISOString(),
  });
}
async function fault(spec: Record<string, unknown>): Promise<void> {
  await sandboxAdmin(h.sb, 'POST', '/faults', spec);
}
/** An order received and confirmed `pending review` at RxScale. */
async function awaitingStock(p: HarnessPharmacy): Promise<string> {
  const uid = await h.newOrder(p);
  await untilState(uid, 'awaiting_stock', 'pending review');
  return uid;
}

beforeAll(async () => {
  h = await startHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
}, 60_000);
beforeEach(async () => {
  await sandboxAdmin(h.sb, 'DELETE', '/faults');
});

describe('an order from webhook to completed', () => {
  it('reaches in-progress on reserved stock and completed at RxScale on the shipment, in 5 RxScale calls', async () => {
    const uid = await awaitingStock(h.a);
    await reserved(h.a, uid);
    await untilState(uid, 'in_progress', 'in-progress');
    const ready = await h.api<{ state: string }>('POST', `/orders/${uid}/ready`);
    expect(ready.status).toBe(200);
    await untilState(uid, 'ready', 'ready_for_pickup');
    await dispatched(h.a, uid);
    const done = await untilState(uid, 'completed', 'completed');
    const shipment = (
      await sandboxAdmin<{ shipment: Record<string, unknown> }>(h.sb, 'GET', `/orders/${uid}`)
    ).shipment;
    expect(shipment).toMatchObject({ carrier: 'DHL' });
    expect(done.commands.map((c) => `${c.requested}:${c.status}`)).toEqual([
      'pending review:done',
      'in-progress:done',
      'ready_for_pickup:done',
      'complete_order:done',
    ]);
    const calls = (await sandboxRequestsFor(h.sb, uid)).map((r) => `${r.method} ${r.status}`);
    expect(calls).toEqual(['GET 200', 'PATCH 200', 'PATCH 200', 'PATCH 200', 'PATCH 200']);
    expect(await sandboxHistory(uid)).toEqual([
      'waiting for pharmacy',
      'pending review',
      'in-progress',
      'ready_for_pickup',
      'completed',
    ]);
  });

  it('serves an order of a pharmacy under the second API key through that key', async () => {
    const uid = await awaitingStock(h.b);
    const log = await sandboxAdmin<{ entries: { path: string; keyId: string | null }[] }>(
      h.sb,
      'GET',
      '/requests?limit=100000',
    );
    const mine = log.entries.filter((e) => e.path.includes(uid));
    expect(mine.length).toBe(2);
    const keys = await sandboxAdmin<{ id: string; name: string }[]>(h.sb, 'GET', '/api-keys');
    const keyB = keys.find((k) => k.name === `key-${h.b.uid}`)!.id;
    expect(new Set(mine.map((e) => e.keyId))).toEqual(new Set([keyB]));
  });
});

describe('duplicates and reordering', () => {
  it('takes a duplicated webhook and an old copy replayed after newer ones without a change', async () => {
    await fault({ kind: 'webhook_duplicate', eventType: 'pharmacy_order_created', count: 1 });
    const uid = await awaitingStock(h.a);
    await reserved(h.a, uid);
    await reserved(h.a, uid);
    await untilState(uid, 'in_progress', 'in-progress');
    const first = h.webhooks.get(uid)![0]!;
    // the creation arrives again after the echoes of our changes (a new delivery of the same body)
    const replay = JSON.parse(first.value) as Record<string, unknown>;
    replay.id = `${String(replay.id)}-again`;
    replay.rxscaledeliverykey = `${String(replay.rxscaledeliverykey)}`;
    await h.produceRaw(Topics.rxscalePharmacyOrders.name, first.key, JSON.stringify(replay));
    await reserved(h.a, uid);
    const later = await h.newOrder(h.a);
    await untilState(later, 'awaiting_stock', 'pending review');
    const o = (await order(uid))!;
    expect(o.state).toBe('in_progress');
    expect(o.commands.map((c) => c.requested)).toEqual(['pending review', 'in-progress']);
    expect(await sandboxHistory(uid)).toEqual(['waiting for pharmacy', 'pending review', 'in-progress']);
    expect((await sandboxRequestsFor(h.sb, uid)).filter((r) => r.method === 'GET')).toHaveLength(1);
  });

  it('stores an order whose update arrives before its creation (fetched once, closed as RxScale has it)', async () => {
    await fault({ kind: 'webhook_drop', eventType: 'pharmacy_order_created', count: 1 });
    const uid = await h.newOrder(h.a);
    await sandboxAdmin(h.sb, 'POST', `/orders/${uid}/cancel`, { reason: 'patient withdrew' });
    const o = await untilState(uid, 'cancelled');
    expect(o.commands).toEqual([]);
  });
});

describe('a malformed order webhook', () => {
  it('goes to the dead-letter topic at once as invalid_webhook, naming paths and no patient data, and stores nothing', async () => {
    const uid = `po-malformed-${uniqueSuffix()}`;
    const body = orderWebhookBody(uid, (d) => {
      d.pharmacy = { uid: h.a.uid };
      (d.order_items as Record<string, unknown>[])[0]!.amount = 'two';
      d.status = 42;
    });
    const built = buildRxScaleEvent({ rawBody: body, receivedAt: new Date(), source: 'test' });
    if (!built.ok) throw built.error;
    await h.produceRaw(built.topic, built.key, JSON.stringify(built.event));

    const kafka = kafkaClient(`${h.group}-dlq-reader`);
    const letter = await waitFor(
      async () => (await listDeadLetters(kafka, h.group)).find((l) => l.key === uid),
      `the dead letter of ${uid}`,
    );
    expect(letter).toMatchObject({ errorCode: 'invalid_webhook', attempts: 1, sourceTopic: built.topic });
    expect(letter.error).toContain('order_items.0.amount');
    expect(letter.error).toContain('status');
    for (const marker of INVENTED_PERSON_MARKERS) expect(letter.error).not.toContain(marker);
    expect((await h.api('GET', `/orders/${uid}`)).status).toBe(404);
  });
});

describe('stock and shipment events about an order never stored here', () => {
  it('are counted and left alone, not dead-lettered, and the orders behind them still move', async () => {
    const unknown = `po-elsewhere-${uniqueSuffix()}`;
    const counted = async () =>
      Object.fromEntries(
        (
          await h.service.metrics.registry
            .getSingleMetric('rxbridge_order_events_for_unknown_orders_total')!
            .get()
        ).values.map((v) => [String(v.labels.type), v.value]),
      );
    const before = await counted();
    await reserved(h.a, unknown);
    await dispatched(h.a, unknown);
    const ours = await awaitingStock(h.a);
    await reserved(h.a, ours);
    await untilState(ours, 'in_progress', 'in-progress');
    const seen = await waitFor(() => {
      const lines = h.logs.filter((l) => l.includes(unknown) && l.includes('never stored'));
      return lines.length >= 2 ? lines : undefined;
    }, `both events about ${unknown} taken`);
    expect(seen.map((l) => (JSON.parse(l) as { eventType: string }).eventType).sort()).toEqual([
      'pharmacy.shipment.dispatched',
      'pharmacy.stock.reserved',
    ]);
    const after = await counted();
    for (const type of ['pharmacy.stock.reserved', 'pharmacy.shipment.dispatched'])
      expect((after[type] ?? 0) - (before[type] ?? 0)).toBeGreaterThanOrEqual(1);
    const letters = await listDeadLetters(kafkaClient(`${h.group}-dlq-reader-unknown`), h.group);
    expect(letters.filter((l) => l.key === unknown)).toEqual([]);
  });
});

describe('cancellation from RxScale', () => {
  it.each(['awaiting_stock', 'in_progress', 'ready'])('stops an order in %s', async (step) => {
    const uid = await awaitingStock(h.a);
    if (step !== 'awaiting_stock') {
      await reserved(h.a, uid);
      await untilState(uid, 'in_progress', 'in-progress');
    }
    if (step === 'ready') {
      await h.api('POST', `/orders/${uid}/ready`);
      await untilState(uid, 'ready', 'ready_for_pickup');
    }
    await sandboxAdmin(h.sb, 'POST', `/orders/${uid}/cancel`, { reason: 'rerouted' });
    const o = await untilState(uid, 'cancelled');
    expect(o.history.at(-1)).toMatchObject({ trigger: 'cancelled-by-rxscale', to_state: 'cancelled' });
  });
});

describe('out of stock', () => {
  it('puts the order on hold naming the missing item (default policy) or cancels it (the pharmacy policy)', async () => {
    const held = await awaitingStock(h.a);
    const cancelled = await awaitingStock(h.b);
    for (const [p, uid] of [
      [h.a, held],
      [h.b, cancelled],
    ] as const)
      await h.publish('pharmacy.stock.reservation-failed', {
        pharmacy_uid: p.uid,
        pharmacy_order_uid: uid,
        missing: [{ pharmacy_sku_uid: p.pharmacySkuUid, pzn: '12345678', requested: 1, available: 0 }],
        failed_at: new Date().toISOString(),
      });
    await untilState(held, 'on_hold', 'on-hold');
    const comment = (
      await sandboxAdmin<{ to: string; comment?: string }[]>(h.sb, 'GET', `/orders/${held}/history`)
    ).at(-1)!.comment;
    expect(comment).toContain('12345678');
    await untilState(cancelled, 'cancelled', 'cancelled');
  });
});

describe('RxScale faults during status changes', () => {
  it('retries 5xx, 429 and timeouts and sends each status once', async () => {
    const path = '/pharmacy_orders/{uid}/status';
    await fault({ kind: 'error', status: 503, count: 2, endpoint: { method: 'PATCH', path } });
    await fault({ kind: 'rate_limit', retryAfterSeconds: 0, count: 2, endpoint: { method: 'PATCH', path } });
    await fault({ kind: 'hang', ms: 1500, count: 1, endpoint: { method: 'PATCH', path } });
    const uid = await awaitingStock(h.a);
    await reserved(h.a, uid);
    const o = await untilState(uid, 'in_progress', 'in-progress');
    expect(await sandboxHistory(uid)).toEqual(['waiting for pharmacy', 'pending review', 'in-progress']);
    expect(o.commands.every((c) => c.status === 'done')).toBe(true);
    const statuses = (await sandboxRequestsFor(h.sb, uid))
      .filter((r) => r.method === 'PATCH')
      .map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.some((s) => s === 503 || s === 429 || s === 504)).toBe(true);
  });

  it('records a transition RxScale refuses, shows it, and does not retry it', async () => {
    const uid = await awaitingStock(h.a);
    await waitFor(() => (h.webhooks.get(uid)?.length ?? 0) >= 2, 'the echo of pending review delivered');
    // RxScale cancels the order and its webhook is lost: our in-progress meets a 409
    await fault({ kind: 'webhook_drop', eventType: 'pharmacy_order_updated', count: 1 });
    await sandboxAdmin(h.sb, 'POST', `/orders/${uid}/cancel`, { reason: 'rerouted' });
    await reserved(h.a, uid);
    const o = await untilState(uid, 'refused');
    expect(o.refusal).toMatchObject({ requested: 'in-progress' });
    expect(o.commands.at(-1)).toMatchObject({ requested: 'in-progress', status: 'refused', attempts: 1 });
    const patches = (await sandboxRequestsFor(h.sb, uid)).filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.status)).toEqual([200, 409]);
    const refusedOnly = await h.api<{ items: { pharmacy_order_uid: string }[] }>(
      'GET',
      '/orders?state=refused',
    );
    expect(refusedOnly.body.items.map((i) => i.pharmacy_order_uid)).toContain(uid);
    // the safety net sees RxScale's cancellation and closes the refused order
    const run = await h.api<{ ok: boolean }>('POST', '/operations/safety-net', { token: 'operator' });
    expect(run.body.ok).toBe(true);
    await untilState(uid, 'cancelled');
  });
});

describe('safety net', () => {
  it('finds an order whose webhook was dropped, through the webhook path', async () => {
    await fault({ kind: 'webhook_drop', eventType: 'pharmacy_order_created', count: 1 });
    const uid = await h.newOrder(h.b);
    const run = await h.api<{ ok: boolean; summary: { found: number } }>('POST', '/operations/safety-net', {
      token: 'operator',
    });
    expect(run.status).toBe(200);
    expect(run.body.ok).toBe(true);
    expect(run.body.summary.found).toBeGreaterThanOrEqual(1);
    await untilState(uid, 'awaiting_stock', 'pending review');
    const again = await h.api<{ summary: { found: number } }>('POST', '/operations/safety-net', {
      token: 'operator',
    });
    expect(again.body.summary.found).toBe(0);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`rxbridge_order_safety_net_finds_total\\{pharmacy="${h.b.uid}".*\\} [1-9]`),
    );
    expect(metrics).toMatch(/rxbridge_order_pending_review_seconds_count\{.*\} [1-9]/);
    expect(metrics).toMatch(/rxbridge_order_transitions_refused_total\{.*refused_by="rxscale".*\} [1-9]/);
    expect(metrics).toMatch(/rxbridge_orders\{state="awaiting_stock",pharmacy=".*\} [1-9]/);
  });
});

describe('REST edge', () => {
  let uid: string;
  beforeAll(async () => {
    uid = await awaitingStock(h.a);
  }, 60_000);

  it('is ready naming the database, Kafka and RxScale (reachable, reported as not critical)', async () => {
    const res = await fetch(`${h.url}/health/ready`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as { details: Record<string, { status: string; critical?: boolean }> };
    expect(Object.keys(report.details).sort()).toEqual(['database', 'kafka', 'rxscale', 'shutdown']);
    expect(report.details.rxscale).toMatchObject({ status: 'up', critical: false });
  });

  it('refuses a missing token (401), a token without the scope (403), an unknown order (404)', async () => {
    expect((await h.api('GET', `/orders/${uid}`, { token: null })).status).toBe(401);
    expect((await h.api('GET', `/orders/${uid}`, { token: 'stock' })).status).toBe(403);
    expect((await h.api('POST', `/orders/${uid}/ready`, { token: 'patient' })).status).toBe(403);
    expect((await h.api('POST', '/operations/retention', { token: 'pms' })).status).toBe(403);
    const missing = await h.api<{ error: { code: string } }>('GET', '/orders/po-nobody');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('order_not_found');
  });

  it('refuses bad input and changes nothing', async () => {
    for (const body of [{ comment: '   ' }, {}, { comment: 'x', extra: 1 }]) {
      const res = await h.api<{ error: { code: string } }>('POST', `/orders/${uid}/hold`, { body });
      expect(res.status).toBe(400);
    }
    expect((await h.api('GET', '/orders?state=shipping')).status).toBe(400);
    expect((await h.api('GET', '/orders?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
    expect((await h.api('POST', `/orders/${uid}/ready`, { idempotencyKey: null })).status).toBe(400);
    // a step the state machine does not allow now: 409
    const early = await h.api<{ error: { code: string } }>('POST', `/orders/${uid}/resume`);
    expect(early.status).toBe(409);
    expect((await order(uid))!.state).toBe('awaiting_stock');
  });

  it('answers a repeated write with the same Idempotency-Key from the first answer', async () => {
    const key = `hold-${uid}`;
    const first = await h.api('POST', `/orders/${uid}/hold`, {
      body: { comment: 'Rückfrage Arzt' },
      idempotencyKey: key,
    });
    const second = await h.api('POST', `/orders/${uid}/hold`, {
      body: { comment: 'Rückfrage Arzt' },
      idempotencyKey: key,
    });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    await untilState(uid, 'on_hold', 'on-hold');
    expect((await h.api('POST', `/orders/${uid}/resume`)).status).toBe(200);
    await untilState(uid, 'awaiting_stock', 'pending review');
  });

  it('shows patient data only with orders:patient-data, the address to shipping, the prescription on demand', async () => {
    expect((await order(uid))!.patient).toBeUndefined();
    const withPatient = await h.api<Order>('GET', `/orders/${uid}`, { token: 'patient' });
    expect(withPatient.body.patient).toMatchObject({ email: INVENTED_PATIENT.email });
    const address = await h.api<{ address: { city: string } }>('GET', `/orders/${uid}/delivery-address`, {
      token: 'shipping',
    });
    expect(address.body.address.city).toBe(INVENTED_PATIENT.address.city);
    expect((await h.api('GET', `/orders/${uid}/delivery-address`, { token: 'pms' })).status).toBe(403);
    const rx = await h.api<{ content_base64: string }>('GET', `/orders/${uid}/prescription`, {
      token: 'prescription',
    });
    expect(rx.status).toBe(200);
    expect(rx.body.content_base64.length).toBeGreaterThan(0);
    expect(rx.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 503 with retry-after, not 500, when RxScale cannot be read for the prescription', async () => {
    const path = '/pharmacy_orders/{uid}';
    const prescription = () =>
      h.api<{ error?: { code: string } }>('GET', `/orders/${uid}/prescription`, { token: 'prescription' });
    try {
      // the client retries a 503 itself: the fault outlasts its attempts
      await fault({ kind: 'error', status: 503, count: 10, endpoint: { method: 'GET', path } });
      const down = await prescription();
      expect(down.status).toBe(503);
      expect(down.body.error!.code).toBe('rxscale_unavailable');
      expect(Number(down.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(down.body)).not.toContain('content_base64');
    } finally {
      await sandboxAdmin(h.sb, 'DELETE', '/faults');
    }
    expect((await prescription()).status).toBe(200);
  });

  it('lists orders by state and pharmacy page by page', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: {
        status: number;
        body: { items: { pharmacy_order_uid: string; pharmacy_uid: string }[]; next_cursor: string | null };
      } = await h.api('GET', `/orders?pharmacy_uid=${h.a.uid}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      expect(page.body.items.every((i) => i.pharmacy_uid === h.a.uid)).toBe(true);
      seen.push(...page.body.items.map((i) => i.pharmacy_order_uid));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(uid);
    const since = await h.api<{ items: unknown[] }>(
      'GET',
      `/orders?state=awaiting_stock,in_progress&updated_since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(since.body.items).toEqual([]);
  });

  it('removes the patient data of orders closed beyond the retention, and says how many', async () => {
    const closed = await awaitingStock(h.a);
    expect((await h.api('POST', `/orders/${closed}/cancel`, { body: { reason: 'Dublette' } })).status).toBe(
      200,
    );
    await untilState(closed, 'cancelled', 'cancelled');
    // the cancel's settlement writes the order too: wait for it before backdating
    await waitFor(
      async () => (await order(closed))?.commands.every((c) => c.status !== 'pending'),
      'cancel settled',
    );
    await h.service.app
      .get((await import('typeorm')).DataSource)
      .query(`UPDATE orders SET closed_at = now() - interval '40 days' WHERE pharmacy_order_uid = $1`, [
        closed,
      ]);
    const run = await h.api<{ summary: { removed: number } }>('POST', '/operations/retention', {
      token: 'operator',
    });
    expect(run.body.summary.removed).toBeGreaterThanOrEqual(1);
    const gone = await h.api<{ error: { code: string } }>('GET', `/orders/${closed}/delivery-address`, {
      token: 'shipping',
    });
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('patient_data_purged');
  });
});

describe('operator retry of a refused order', () => {
  /** A status change made in RxScale's Pharmacy Portal: the pharmacy's own key (the sandbox's admin API has none). */
  async function portal(p: HarnessPharmacy, uid: string, status: string, comment?: string): Promise<void> {
    const res = await requestJson(`${h.sb.apiUrl()}/pharmacy_orders/${uid}/status`, {
      method: 'PATCH',
      headers: { 'x-api-key': p.apiKey },
      body: { status, ...(comment ? { comment } : {}) },
    });
    expect(res.status).toBe(200);
  }
  /** Someone moved the order on to ready_for_pickup in the Portal, so RxScale refused our in-progress (409). */
  async function refusedOrder(p: HarnessPharmacy = h.a): Promise<string> {
    const uid = await awaitingStock(p);
    await portal(p, uid, 'in-progress');
    await portal(p, uid, 'ready_for_pickup');
    await reserved(p, uid);
    const o = await untilState(uid, 'refused');
    expect(o.refusal).toMatchObject({ requested: 'in-progress', rxscale_status_code: 409 });
    return uid;
  }
  async function outboxOf(uid: string): Promise<string[]> {
    const { DataSource } = await import('typeorm');
    const rows = await h.service.app
      .get(DataSource)
      .query<{ type: string }[]>(`SELECT value->>'type' AS type FROM outbox WHERE key = $1 ORDER BY id`, [
        uid,
      ]);
    return rows.map((r) => r.type);
  }
  /** Everything a retry could change: the order with its history and command log, and its events. */
  async function everything(uid: string) {
    return { order: await order(uid), events: await outboxOf(uid) };
  }
  async function gets(uid: string): Promise<number> {
    return (await sandboxRequestsFor(h.sb, uid)).filter((r) => r.method === 'GET').length;
  }
  function retry(
    uid: string,
    options: { body?: unknown; token?: 'pms' | 'operator'; idempotencyKey?: string } = {},
  ) {
    return h.api<{
      pharmacy_order_uid: string;
      state: string;
      changed: boolean;
      error?: { code: string; message: string };
    }>('POST', `/orders/${uid}/retry`, { token: 'operator', ...options });
  }

  it('refuses while RxScale allows neither (409, nothing changed), then queues the change again once fixed in the Portal', async () => {
    const uid = await refusedOrder();
    const before = await everything(uid);
    const refused = await retry(uid, { body: { comment: 'Portal geprüft' } });
    expect(refused.status).toBe(409);
    expect(refused.body.error!.code).toBe('retry_not_possible');
    expect(refused.body.error!.message).toContain('ready_for_pickup');
    expect(refused.body.error!.message).toMatch(/Pharmacy Portal.*cancel/);
    expect(await everything(uid)).toEqual(before);
    expect(await (await fetch(`${h.url}/metrics`)).text()).toMatch(
      /rxbridge_order_retries_total\{.*outcome="not_possible".*\} [1-9]/,
    );

    await portal(h.a, uid, 'on-hold', 'Status korrigiert');
    const ok = await retry(uid, { body: { comment: 'in-progress im Portal wieder möglich' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ pharmacy_order_uid: uid, state: 'in_progress', changed: true });
    const o = await untilState(uid, 'in_progress', 'in-progress');
    await waitFor(
      async () => (await order(uid))?.commands.at(-1)?.status === 'done',
      'the in-progress queued again settled',
    );
    const after = (await order(uid))!;
    expect(after.commands.map((c) => `${c.requested}:${c.status}`)).toEqual([
      'pending review:done',
      'in-progress:refused',
      'in-progress:done',
    ]);
    expect(after.refusal).toBeNull();
    expect(after.rxscale_status).toBe('in-progress');
    expect(o.history.filter((e) => e.trigger === 'retry')).toEqual([
      expect.objectContaining({
        to_state: 'in_progress',
        initiator: 'operator',
        note: expect.stringContaining('in-progress im Portal wieder möglich'),
      }),
    ]);
    expect((await sandboxHistory(uid)).slice(-2)).toEqual(['on-hold', 'in-progress']);
  });

  it('adopts the change RxScale shows already, sending nothing but the re-read', async () => {
    const uid = await refusedOrder();
    await portal(h.a, uid, 'on-hold', 'Rückfrage');
    await portal(h.a, uid, 'in-progress');
    const calls = (await sandboxRequestsFor(h.sb, uid)).length;
    const res = await retry(uid, { body: {} });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('in_progress');
    const o = (await order(uid))!;
    expect(o.rxscale_status).toBe('in-progress');
    expect(o.commands.map((c) => `${c.requested}:${c.status}`)).toEqual([
      'pending review:done',
      'in-progress:refused',
    ]);
    expect((await sandboxRequestsFor(h.sb, uid)).slice(calls).map((r) => `${r.method} ${r.status}`)).toEqual([
      'GET 200',
    ]);
    expect(await outboxOf(uid)).toContain('pharmacy.order.status-changed');
  });

  it('closes an order RxScale cancelled meanwhile, publishing the cancellation (stock is released)', async () => {
    const uid = await refusedOrder();
    await fault({ kind: 'webhook_drop', eventType: 'pharmacy_order_updated', count: 1 });
    await sandboxAdmin(h.sb, 'POST', `/orders/${uid}/cancel`, { reason: 'rerouted' });
    expect(await outboxOf(uid)).not.toContain('pharmacy.order.cancelled');
    const res = await retry(uid);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('cancelled');
    expect(await outboxOf(uid)).toContain('pharmacy.order.cancelled');
    expect((await order(uid))!.history.at(-1)).toMatchObject({ trigger: 'retry', to_state: 'cancelled' });
  });

  it('takes in an order refused at first sight once RxScale allows pending review, publishing received only then', async () => {
    await fault({ kind: 'webhook_drop', eventType: 'pharmacy_order_created', count: 1 });
    await sandboxAdmin(h.sb, 'PATCH', '/settings', { echoStatusChanges: false });
    let uid: string;
    try {
      uid = await h.newOrder(h.b);
      await portal(h.b, uid, 'pending review');
      await portal(h.b, uid, 'in-progress');
    } finally {
      await sandboxAdmin(h.sb, 'PATCH', '/settings', { echoStatusChanges: true });
    }
    // this echo is the first the service hears of the order: fetched in on-hold, refused at first sight
    await portal(h.b, uid, 'on-hold', 'Rückfrage Arzt');
    const first = await untilState(uid, 'refused');
    expect(first.refusal).toMatchObject({ requested: 'pending review' });
    expect(await outboxOf(uid)).toEqual(['pharmacy.order.transition-refused']);
    const res = await retry(uid);
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('received');
    await untilState(uid, 'awaiting_stock', 'pending review');
    expect(await outboxOf(uid)).toEqual(
      expect.arrayContaining(['pharmacy.order.transition-refused', 'pharmacy.order.received']),
    );
  });

  it('answers 409 for an order that is not refused, 404 for an unknown one, 403 without the operator scope, 400 for a bad body', async () => {
    const open = await awaitingStock(h.a);
    const calls = await gets(open);
    const notRefused = await retry(open);
    expect(notRefused.status).toBe(409);
    expect(notRefused.body.error!.code).toBe('nothing_to_retry');
    expect(await gets(open)).toBe(calls);
    const unknown = await retry('po-nobody-retry');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error!.code).toBe('order_not_found');
    const uid = await refusedOrder();
    const before = await everything(uid);
    expect((await retry(uid, { token: 'pms' })).status).toBe(403);
    for (const body of [{ comment: '   ' }, { comment: 'x', extra: 1 }, { comment: 'x'.repeat(501) }])
      expect((await retry(uid, { body })).status).toBe(400);
    expect(await everything(uid)).toEqual(before);
  });

  it('answers 503 when the re-read meets 5xx or a timeout, changes nothing, and runs under the same key later', async () => {
    const uid = await refusedOrder();
    await portal(h.a, uid, 'on-hold', 'Status korrigiert');
    const before = await everything(uid);
    const path = '/pharmacy_orders/{uid}';
    const key = `retry-${uid}`;
    await fault({ kind: 'error', status: 503, count: 2, endpoint: { method: 'GET', path } });
    const down = await retry(uid, { idempotencyKey: key });
    expect(down.status).toBe(503);
    expect(down.body.error!.code).toBe('rxscale_unavailable');
    await fault({ kind: 'hang', ms: 1500, count: 2, endpoint: { method: 'GET', path } });
    const slow = await retry(uid, { idempotencyKey: key });
    expect(slow.status).toBe(503);
    expect(await everything(uid)).toEqual(before);
    await sandboxAdmin(h.sb, 'DELETE', '/faults');
    const ok = await retry(uid, { idempotencyKey: key });
    expect(ok.status).toBe(200);
    expect(ok.body.state).toBe('in_progress');
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/rxbridge_order_retries_total\{.*outcome="rxscale_error".*\} [1-9]/);
    expect(metrics).toMatch(/rxbridge_order_retries_total\{.*outcome="retried".*\} [1-9]/);
  });

  it('retries once for the same Idempotency-Key sent twice', async () => {
    const uid = await refusedOrder();
    await portal(h.a, uid, 'on-hold', 'Status korrigiert');
    const key = `retry-twice-${uid}`;
    const first = await retry(uid, { body: { comment: 'einmal' }, idempotencyKey: key });
    const second = await retry(uid, { body: { comment: 'einmal' }, idempotencyKey: key });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    await untilState(uid, 'in_progress', 'in-progress');
    const o = (await order(uid))!;
    expect(o.history.filter((e) => e.trigger === 'retry')).toHaveLength(1);
    expect(o.commands.filter((c) => c.requested === 'in-progress')).toHaveLength(2);
  });
});

describe('OpenAPI', () => {
  const committed = fileURLToPath(new URL('../../../docs/api/order-service.json', import.meta.url));

  it('docs/api/order-service.json is current, and every route names its scope', () => {
    if (process.env.RXBRIDGE_WRITE_API_DOCS === '1') writeOpenApiDocument(h.service.openApi, committed);
    assertOpenApiDocumentCurrent(
      h.service.openApi,
      committed,
      'node tools/cli.mjs pnpm --filter @rxbridge/order-service generate',
    );
    const paths = h.service.openApi.paths as Record<
      string,
      Record<string, { 'x-required-scopes'?: string[] }>
    >;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/orders',
        '/orders/{uid}',
        '/orders/{uid}/delivery-address',
        '/orders/{uid}/retry',
        '/operations/safety-net',
      ]),
    );
    for (const [path, ops] of Object.entries(paths).filter(([p]) => p !== '/metrics'))
      for (const [method, op] of Object.entries(ops))
        expect({ route: `${method} ${path}`, scopes: op['x-required-scopes']?.length ?? 0 }).toMatchObject({
          scopes: 1,
        });
  });
});

describe('patient data', () => {
  it('is in no log line of the suite and in no column of the schema in clear text', async () => {
    const { DataSource } = await import('typeorm');
    const ds = h.service.app.get(DataSource);
    const markers = [
      INVENTED_PATIENT.firstName,
      INVENTED_PATIENT.lastName,
      INVENTED_PATIENT.email,
      INVENTED_PATIENT.dateOfBirth,
      INVENTED_PATIENT.address.street,
      INVENTED_PATIENT.address.city,
      'JVBERi0xLjcK',
    ];
    const logs = h.logs.join('');
    expect(h.logs.length).toBeGreaterThan(50);
    for (const m of markers) expect(logs).not.toContain(m);
    const columns = await ds.query<{ table_name: string; column_name: string }[]>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = $1 AND data_type IN ('text', 'character varying', 'json', 'jsonb')`,
      [h.schema],
    );
    expect(columns.length).toBeGreaterThan(10);
    for (const c of columns)
      for (const m of markers) {
        const [hit] = await ds.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM "${c.table_name}" WHERE "${c.column_name}"::text LIKE $1`,
          [`%${m}%`],
        );
        expect({ column: `${c.table_name}.${c.column_name}`, marker: m, rows: hit!.n }).toMatchObject({
          rows: 0,
        });
      }
  });
});
