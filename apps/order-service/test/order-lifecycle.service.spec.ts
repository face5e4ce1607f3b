import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ManualClock,
  RxscaleCommandRelay,
  ServiceMetrics,
  silentLogger,
  type CommandOutcome,
  type RxscaleCommand,
} from '@rxbridge/service-kit';
import { type PharmacyOrderStatus } from '@rxbridge/rxscale-contract';
import { type EntityManager } from 'typeorm';
import { OrderMetrics } from '../src/metrics/order-metrics.js';
import { OrderLifecycleService } from '../src/orders/order-lifecycle.service.js';
import { OrderRetryService } from '../src/orders/order-retry.service.js';
import { type OrderState } from '../src/orders/order-lifecycle.js';
import { OrderRepository } from '../src/orders/order.repository.js';
import { PatientDataRetentionService } from '../src/orders/patient-data-retention.service.js';
import { openPatientData, patientDataAad } from '../src/patient-data/patient-data-cipher.js';
import {
  createTestDatabase,
  orderFixture,
  TESTA,
  TestPatientDataCipher,
  type TestDatabase,
} from './support/order-test-kit.js';

const PH = 'ph-test-1';
const PH_CANCELS = 'ph-test-cancels';
const missing = [
  { pharmacy_sku_uid: 'psku-ibu', external_id: 'WAWI-1', pzn: '06312077', requested: 2, available: 0 },
];
const reservedLines = [{ pharmacy_sku_uid: 'psku-ibu', external_id: 'WAWI-1', pzn: '06312077', quantity: 2 }];
const shipment = {
  pharmacy_uid: PH,
  shipment_uid: 'shp-1',
  carrier: 'GLS',
  tracking_number: 'GLS-123',
  tracking_url: 'https://tracking.example.invalid/GLS-123',
  dispatched_at: '2026-01-01T10:00:00.000Z',
};

let db: TestDatabase;
let clock: ManualClock;
let cipher: TestPatientDataCipher;
let repository: OrderRepository;
let service: OrderLifecycleService;
/** What the scripted RxScale answers next; the real relay executes and settles through the service. */
let answers: Record<string, CommandOutcome[]>;
let executed: { kind: string; targetUid: string; payload: unknown }[];
let relay: RxscaleCommandRelay;
let seq = 0;

function tx<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
  return db.dataSource.transaction(fn);
}

async function outbox(uid: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return db.dataSource.query(
    `SELECT value->>'type' AS type, value->'data' AS data FROM outbox WHERE key = $1 ORDER BY id`,
    [uid],
  );
}

async function commands(uid: string): Promise<
  {
    kind: string;
    payload: Record<string, unknown>;
    status: string;
    reason: string | null;
    attempts: number;
  }[]
> {
  return db.dataSource.query(
    'SELECT kind, payload, status, reason, attempts, priority, pharmacy_uid FROM rxscale_command WHERE target_uid = $1 ORDER BY id',
    [uid],
  );
}

function sentFor(uid: string): { kind: string; payload: unknown }[] {
  return executed.filter((c) => c.targetUid === uid).map(({ kind, payload }) => ({ kind, payload }));
}

async function state(uid: string): Promise<OrderState | undefined> {
  return (await tx((m) => repository.find(m, uid)))?.state;
}

/** Runs the relay until nothing is due, answering `done` unless told otherwise. */
async function drain(): Promise<void> {
  while (await relay.executeOne()) {
    /* next */
  }
}

function newUid(): string {
  seq += 1;
  return `po-t${seq}-${Date.now().toString(36)}`;
}

async function receiveNew(uid = newUid()): Promise<string> {
  await tx((m) => service.receive(m, orderFixture({ uid })));
  return uid;
}

/** Drives a new order to a step, settling every command as done. */
async function orderAt(step: OrderState): Promise<string> {
  const uid = await receiveNew();
  if (step === 'received') return uid;
  await drain();
  if (step === 'awaiting_stock') return uid;
  if (step === 'on_hold') {
    await tx((m) => service.putOnHold(m, { pharmacyOrderUid: uid, comment: 'waiting for the doctor' }));
    await drain();
    return uid;
  }
  await tx((m) =>
    service.stockReserved(m, {
      pharmacy_uid: PH,
      pharmacy_order_uid: uid,
      lines: reservedLines,
      reserved_at: clock.now().toISOString(),
    }),
  );
  await drain();
  if (step === 'in_progress') return uid;
  await tx((m) => service.markReady(m, { pharmacyOrderUid: uid }));
  await drain();
  if (step === 'ready') return uid;
  await tx((m) => service.shipmentDispatched(m, { ...shipment, pharmacy_order_uid: uid }));
  if (step === 'shipped') return uid;
  await drain();
  return uid;
}

beforeAll(async () => {
  db = await createTestDatabase();
  clock = new ManualClock('2026-03-01T08:00:00.000Z');
  cipher = new TestPatientDataCipher();
  repository = new OrderRepository();
  service = new OrderLifecycleService(repository, clock, cipher, {
    stockPolicy: { default: 'on-hold', byPharmacy: { [PH_CANCELS]: 'cancel' } },
  });
  relay = new RxscaleCommandRelay({
    dataSource: db.dataSource,
    execute: (command) => {
      executed.push({ kind: command.kind, targetUid: command.targetUid, payload: command.payload });
      return Promise.resolve(answers[command.targetUid]?.shift() ?? { outcome: 'done' });
    },
    onOutcome: service.commandSettled,
    logger: silentLogger,
  });
});

afterAll(async () => {
  await db.drop();
});

beforeEach(() => {
  answers = {};
  executed = [];
});

describe(OrderLifecycleService.name, () => {
  describe('receipt', () => {
    it('stores the order, queues pending review and publishes received in one go', async () => {
      const uid = newUid();
      const result = await tx((m) => service.receive(m, orderFixture({ uid })));
      expect(result).toEqual({ pharmacyOrderUid: uid, state: 'received', changed: true, outcome: 'created' });
      const row = await tx((m) => repository.find(m, uid));
      expect(row).toMatchObject({
        pharmacy_uid: PH,
        order_uid: `ord-${uid}`,
        name: `PO-${uid.toUpperCase()}`,
        state: 'received',
        rxscale_status: 'waiting for pharmacy',
        rxscale_updated_at: 1_790_000_100,
        delivery_type: 'shipping',
        priority: 2,
        received_at: clock.now(),
      });
      expect(await tx((m) => repository.lines(m, uid))).toEqual([
        {
          order_item_uid: `oi-${uid}-1`,
          sku_uid: 'sku-ibu',
          sku_name: 'Ibuprofen 400 mg',
          pharmacy_sku_uid: 'psku-ibu',
          external_id: 'WAWI-1',
          pzn: '06312077',
          quantity: 2,
        },
      ]);
      const events = await outbox(uid);
      expect(events.map((e) => e.type)).toEqual(['pharmacy.order.received']);
      expect(events[0]!.data).toMatchObject({
        pharmacy_order_uid: uid,
        status: 'waiting for pharmacy',
        lines: [{ quantity: 2 }],
      });
      expect(await commands(uid)).toEqual([
        {
          kind: 'order.status',
          payload: { status: 'pending review', initiator: 'rxbridge' },
          status: 'pending',
          reason: null,
          attempts: 0,
          priority: 20,
          pharmacy_uid: PH,
        },
      ]);
      expect((await tx((m) => repository.history(m, uid))).map((h) => h.to_state)).toEqual(['received']);
    });

    it('stores an order received twice at once exactly once', async () => {
      const uid = newUid();
      const results = await Promise.all(
        [1, 2].map(() => tx((m) => service.receive(m, orderFixture({ uid })))),
      );
      expect(results.map((r) => r.outcome).sort()).toEqual(['created', 'unchanged']);
      expect(await outbox(uid)).toHaveLength(1);
      expect(await commands(uid)).toHaveLength(1);
    });

    it('leaves the order as it is on a duplicate receipt', async () => {
      const uid = await receiveNew();
      const again = await tx((m) => service.receive(m, orderFixture({ uid })));
      expect(again.outcome).toBe('unchanged');
      expect(await outbox(uid)).toHaveLength(1);
      expect(await commands(uid)).toHaveLength(1);
    });

    it('takes in an update that arrives before its create, and ignores the older create', async () => {
      const uid = newUid();
      const update = orderFixture({ uid, status: 'pending review', updated_at: 1_790_000_200 });
      expect((await tx((m) => service.receive(m, update))).outcome).toBe('created');
      expect(await state(uid)).toBe('awaiting_stock');
      const create = orderFixture({ uid, updated_at: 1_790_000_100 });
      expect((await tx((m) => service.receive(m, create))).outcome).toBe('stale');
      expect((await outbox(uid)).map((e) => e.type)).toEqual(['pharmacy.order.received']);
      expect(await commands(uid)).toEqual([]);
    });

    it('ignores an old update that arrives after a newer one', async () => {
      const uid = await receiveNew();
      await tx((m) =>
        service.receive(m, orderFixture({ uid, status: 'cancelled', updated_at: 1_790_000_300 })),
      );
      const old = orderFixture({ uid, status: 'pending review', updated_at: 1_790_000_200 });
      expect((await tx((m) => service.receive(m, old))).outcome).toBe('stale');
      expect(await state(uid)).toBe('cancelled');
    });

    it('hands an order RxScale already has further along to a person', async () => {
      const uid = newUid();
      await tx((m) => service.receive(m, orderFixture({ uid, status: 'in-progress' })));
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'refused',
        refused_requested: 'pending review',
      });
      const [event] = await outbox(uid);
      expect(event).toMatchObject({
        type: 'pharmacy.order.transition-refused',
        data: { refused_by: 'state-machine' },
      });
      expect(await commands(uid)).toEqual([]);
    });

    it.each([
      ['an order still in init', { status: 'init' }, 'order_not_assigned'],
      ['an unknown status', { status: 'shipped' }, 'order_invalid'],
      [
        'a line without a positive amount',
        { order_items: [{ uid: 'oi', amount: 0, sku: { uid: 's' } }] },
        'order_invalid',
      ],
      ['an order without lines', { order_items: [] }, 'order_invalid'],
    ])('refuses %s and writes nothing', async (_what, overrides, code) => {
      const uid = newUid();
      await expect(
        tx((m) => service.receive(m, orderFixture({ uid, ...(overrides as object) }))),
      ).rejects.toMatchObject({
        code,
        permanent: true,
      });
      expect(await tx((m) => repository.find(m, uid))).toBeNull();
      expect(await outbox(uid)).toEqual([]);
      expect(await commands(uid)).toEqual([]);
    });
  });

  describe('stock', () => {
    it('moves a reserved order to in-progress', async () => {
      const uid = await orderAt('awaiting_stock');
      await tx((m) =>
        service.stockReserved(m, {
          pharmacy_uid: PH,
          pharmacy_order_uid: uid,
          lines: reservedLines,
          reserved_at: clock.now().toISOString(),
        }),
      );
      expect(await state(uid)).toBe('in_progress');
      expect((await commands(uid)).map((c) => [c.payload.status, c.status])).toEqual([
        ['pending review', 'done'],
        ['in-progress', 'pending'],
      ]);
    });

    it('puts the order on hold naming the missing items under the on-hold policy', async () => {
      const uid = await orderAt('awaiting_stock');
      await tx((m) =>
        service.reservationFailed(m, {
          pharmacy_uid: PH,
          pharmacy_order_uid: uid,
          missing,
          failed_at: clock.now().toISOString(),
        }),
      );
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'on_hold',
        stock_policy: 'on-hold',
      });
      expect((await commands(uid)).at(-1)!.payload).toEqual({
        status: 'on-hold',
        comment: 'Not enough stock: PZN 06312077 (2 requested, 0 available)',
        initiator: 'rxbridge',
      });
    });

    it('cancels the order under the cancel policy of its pharmacy, before pending review was even sent', async () => {
      const uid = newUid();
      await tx((m) => service.receive(m, orderFixture({ uid, pharmacy: { uid: PH_CANCELS } })));
      await tx((m) =>
        service.reservationFailed(m, {
          pharmacy_uid: PH_CANCELS,
          pharmacy_order_uid: uid,
          missing,
          failed_at: clock.now().toISOString(),
        }),
      );
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'cancelled',
        stock_policy: 'cancel',
      });
      expect((await commands(uid)).map((c) => [c.payload.status, c.status, c.reason])).toEqual([
        ['pending review', 'failed', 'withdrawn: order cancelled'],
        ['cancelled', 'pending', null],
      ]);
      const cancelled = (await outbox(uid)).find((e) => e.type === 'pharmacy.order.cancelled');
      expect(cancelled?.data).toMatchObject({
        initiator: 'rxbridge',
        previous_status: 'waiting for pharmacy',
      });
      await drain();
      expect(sentFor(uid).map((c) => (c.payload as { status: string }).status)).toEqual(['cancelled']);
    });
  });

  describe('packing, holding and shipping', () => {
    it('runs an order from receipt to completed, one command per RxScale change', async () => {
      const uid = await orderAt('completed');
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'completed',
        rxscale_status: 'completed',
      });
      expect(
        sentFor(uid).map((c) => c.kind + ':' + String((c.payload as { status?: string }).status ?? '')),
      ).toEqual([
        'order.status:pending review',
        'order.status:in-progress',
        'order.status:ready_for_pickup',
        'order.complete:',
      ]);
      expect(sentFor(uid)[3]!.payload).toEqual({
        shipment_uid: 'shp-1',
        carrier: 'GLS',
        tracking_number: 'GLS-123',
        tracking_url: 'https://tracking.example.invalid/GLS-123',
      });
      expect((await outbox(uid)).map((e) => e.type)).toEqual([
        'pharmacy.order.received',
        'pharmacy.order.status-changed',
        'pharmacy.order.status-changed',
        'pharmacy.order.ready-for-pickup',
        'pharmacy.order.status-changed',
        'pharmacy.order.status-changed',
        'pharmacy.order.completed',
      ]);
      expect((await outbox(uid)).at(-1)!.data).toMatchObject({ shipment_uid: 'shp-1' });
    });

    it('publishes completed once, naming the shipment, when the RxScale webhook overtakes the settlement', async () => {
      const uid = await orderAt('shipped');
      const echo = orderFixture({ uid, status: 'completed', updated_at: 1_790_000_900 });
      expect(await tx((m) => service.receive(m, echo))).toMatchObject({
        state: 'completed',
        outcome: 'updated',
      });
      await drain();
      const completed = (await outbox(uid)).filter((e) => e.type === 'pharmacy.order.completed');
      expect(completed.map((e) => e.data.shipment_uid)).toEqual(['shp-1']);
    });

    it('puts an order on hold with a comment and resumes it', async () => {
      const uid = await orderAt('in_progress');
      await tx((m) =>
        service.putOnHold(m, { pharmacyOrderUid: uid, comment: 'substitution to be confirmed' }),
      );
      expect(await state(uid)).toBe('on_hold');
      await tx((m) => service.resume(m, { pharmacyOrderUid: uid }));
      expect(await state(uid)).toBe('in_progress');
      expect((await commands(uid)).slice(-2).map((c) => c.payload)).toEqual([
        { status: 'on-hold', comment: 'substitution to be confirmed', initiator: 'pharmacy' },
        { status: 'in-progress', initiator: 'pharmacy' },
      ]);
    });

    it('ignores a repeated "packed" and a second shipment event', async () => {
      const uid = await orderAt('ready');
      const before = (await commands(uid)).length;
      expect((await tx((m) => service.markReady(m, { pharmacyOrderUid: uid }))).changed).toBe(false);
      await tx((m) => service.shipmentDispatched(m, { ...shipment, pharmacy_order_uid: uid }));
      await tx((m) => service.shipmentHandedOver(m, { ...shipment, pharmacy_order_uid: uid }));
      expect((await commands(uid)).length).toBe(before + 1);
    });
  });

  describe('cancellation by RxScale', () => {
    it.each(['received', 'awaiting_stock', 'in_progress', 'ready', 'shipped', 'on_hold'] as const)(
      'stops an order in %s and sends nothing more',
      async (step) => {
        const uid = await orderAt(step);
        // a change queued and not yet sent when the cancellation arrives
        if (step === 'in_progress') await tx((m) => service.markReady(m, { pharmacyOrderUid: uid }));
        const pendingBefore = (await commands(uid)).filter((c) => c.status === 'pending').length;
        executed = [];
        const result = await tx((m) =>
          service.receive(m, orderFixture({ uid, status: 'cancelled', updated_at: 1_790_000_900 })),
        );
        expect(result).toMatchObject({ state: 'cancelled', outcome: 'updated' });
        const cancelled = (await outbox(uid)).filter((e) => e.type === 'pharmacy.order.cancelled');
        expect(cancelled).toHaveLength(1);
        expect(cancelled[0]!.data).toMatchObject({ initiator: 'rxscale' });
        const cmds = await commands(uid);
        expect(cmds.filter((c) => c.status === 'pending')).toEqual([]);
        expect(cmds.filter((c) => c.reason === 'withdrawn: order cancelled')).toHaveLength(pendingBefore);
        await drain();
        expect(sentFor(uid)).toEqual([]);
        // the echo of the cancellation, again
        const again = await tx((m) =>
          service.receive(m, orderFixture({ uid, status: 'cancelled', updated_at: 1_790_000_901 })),
        );
        expect(again).toMatchObject({ state: 'cancelled', changed: false });
        expect((await outbox(uid)).filter((e) => e.type === 'pharmacy.order.cancelled')).toHaveLength(1);
      },
    );
  });

  describe('cancellation by the pharmacy', () => {
    it('withdraws what was queued, sends the cancel and publishes it with the reason', async () => {
      const uid = await orderAt('in_progress');
      await tx((m) => service.markReady(m, { pharmacyOrderUid: uid }));
      await tx((m) => service.cancelByPharmacy(m, { pharmacyOrderUid: uid, reason: 'cannot be supplied' }));
      const cmds = await commands(uid);
      expect(cmds.slice(-2).map((c) => [c.payload.status, c.status])).toEqual([
        ['ready_for_pickup', 'failed'],
        ['cancelled', 'pending'],
      ]);
      expect((await outbox(uid)).at(-1)).toMatchObject({
        type: 'pharmacy.order.cancelled',
        data: { initiator: 'pharmacy', reason: 'cannot be supplied', previous_status: 'in-progress' },
      });
      await drain();
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'cancelled',
        rxscale_status: 'cancelled',
      });
    });

    it('refuses to cancel a shipped order', async () => {
      const uid = await orderAt('shipped');
      await expect(
        tx((m) => service.cancelByPharmacy(m, { pharmacyOrderUid: uid, reason: 'too late' })),
      ).rejects.toMatchObject({ code: 'transition_not_allowed' });
    });
  });

  describe('command outcomes', () => {
    it('records a refused transition, publishes it and does not retry it', async () => {
      const uid = await orderAt('in_progress');
      await tx((m) => service.markReady(m, { pharmacyOrderUid: uid }));
      answers[uid] = [
        {
          outcome: 'refused',
          reason: 'HTTP 409: RxScale has the order in cancelled and refused ready_for_pickup',
        },
      ];
      executed = [];
      await drain();
      expect(sentFor(uid)).toHaveLength(1);
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'refused',
        refused_requested: 'ready_for_pickup',
        refused_status_code: 409,
        refused_reason: 'HTTP 409: RxScale has the order in cancelled and refused ready_for_pickup',
      });
      expect((await outbox(uid)).at(-1)).toMatchObject({
        type: 'pharmacy.order.transition-refused',
        data: {
          requested: 'ready_for_pickup',
          refused_by: 'rxscale',
          rxscale_status_code: 409,
          from: 'in-progress',
        },
      });
      expect((await commands(uid)).at(-1)).toMatchObject({ status: 'refused', attempts: 1 });
      expect(await relay.executeOne()).toBe(false);
      // a person can still cancel it
      await tx((m) =>
        service.cancelByPharmacy(m, { pharmacyOrderUid: uid, reason: 'resolved by cancelling' }),
      );
      expect(await state(uid)).toBe('cancelled');
    });

    it('withdraws the completion queued behind a refused status change', async () => {
      const uid = await orderAt('in_progress');
      await tx((m) => service.shipmentDispatched(m, { ...shipment, pharmacy_order_uid: uid }));
      answers[uid] = [
        { outcome: 'refused', reason: 'HTTP 422: RxScale refused ready_for_pickup (unprocessable)' },
      ];
      executed = [];
      await drain();
      expect(sentFor(uid).map((c) => c.kind)).toEqual(['order.status']);
      expect((await commands(uid)).at(-1)).toMatchObject({
        kind: 'order.complete',
        status: 'failed',
        reason: 'withdrawn: order refused',
      });
    });

    it('treats a command that failed for good like a refusal', async () => {
      const uid = await receiveNew();
      const failing = new RxscaleCommandRelay({
        dataSource: db.dataSource,
        execute: () =>
          Promise.reject(Object.assign(new Error('RxScale answered HTTP 403'), { retryable: false })),
        onOutcome: service.commandSettled,
        logger: silentLogger,
      });
      while (await failing.executeOne()) {
        /* next */
      }
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'refused',
        refused_status_code: null,
      });
    });

    it('accepts an outcome that arrives after the order closed', async () => {
      const uid = await receiveNew();
      await tx((m) =>
        service.receive(m, orderFixture({ uid, status: 'cancelled', updated_at: 1_790_000_900 })),
      );
      const [command] = await db.dataSource.query<RxscaleCommand[]>(
        `SELECT id::text AS id, kind, target_uid AS "targetUid", payload FROM rxscale_command WHERE target_uid = $1`,
        [uid],
      );
      await tx((m) => service.commandSettled(m, command!, { outcome: 'done' }));
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'cancelled',
        rxscale_status: 'cancelled',
      });
    });
  });

  describe('bad input', () => {
    it('refuses an unknown order, another pharmacy and a step out of turn, writing nothing', async () => {
      const uid = await receiveNew();
      await expect(tx((m) => service.markReady(m, { pharmacyOrderUid: 'po-unknown' }))).rejects.toMatchObject(
        {
          code: 'order_not_found',
        },
      );
      await expect(
        tx((m) => service.markReady(m, { pharmacyOrderUid: uid, pharmacyUid: 'ph-other' })),
      ).rejects.toMatchObject({ code: 'order_pharmacy_mismatch' });
      await expect(tx((m) => service.markReady(m, { pharmacyOrderUid: uid }))).rejects.toMatchObject({
        code: 'transition_not_allowed',
      });
      await expect(
        tx((m) => service.putOnHold(m, { pharmacyOrderUid: uid, comment: '  ' })),
      ).rejects.toMatchObject({
        code: 'comment_required',
      });
      expect(await outbox(uid)).toHaveLength(1);
      expect(await commands(uid)).toHaveLength(1);
      expect(await tx((m) => repository.history(m, uid))).toHaveLength(1);
    });
  });

  describe('patient data', () => {
    it('holds no patient value in clear text anywhere in the schema', async () => {
      const uid = newUid();
      await tx((m) =>
        service.receive(m, {
          ...orderFixture({ uid }),
          prescription_file: { filename: 'rezept-testa.pdf', content_base64: 'JVBERi0xLjcKVEVTVEE=' },
        }),
      );
      const columns: { table_name: string; column_name: string }[] = await db.dataSource.query(
        `SELECT table_name, column_name FROM information_schema.columns
         WHERE table_schema = $1 AND data_type IN ('text', 'character varying', 'json', 'jsonb')`,
        [db.schema],
      );
      expect(columns.length).toBeGreaterThan(10);
      const values = [
        TESTA.display_name,
        'Testa',
        'Beispiel',
        TESTA.email,
        TESTA.date_of_birth,
        TESTA.street,
        TESTA.zip_code,
        TESTA.city,
        'JVBERi0xLjcKVEVTVEE=',
        'rezept-testa',
      ];
      const found: string[] = [];
      for (const { table_name, column_name } of columns) {
        for (const value of values) {
          const [{ n }] = await db.dataSource.query(
            `SELECT count(*)::int AS n FROM "${table_name}" WHERE "${column_name}"::text ILIKE $1`,
            [`%${value}%`],
          );
          if (n > 0) found.push(`${table_name}.${column_name}: ${value}`);
        }
      }
      expect(found).toEqual([]);
      // …and the envelopes open again, each only as its own column of its own order
      const row = (await tx((m) => repository.find(m, uid)))!;
      expect(openPatientData(cipher, uid, row)).toEqual({
        name: TESTA.display_name,
        email: TESTA.email,
        dateOfBirth: TESTA.date_of_birth,
        deliveryAddress: expect.objectContaining({
          street: TESTA.street,
          city: TESTA.city,
          last_name: 'Beispiel',
        }),
      });
      expect(() => cipher.decrypt(row.patient_name!, patientDataAad(uid, 'patient_email'))).toThrow();
      expect(() => cipher.decrypt(row.patient_name!, patientDataAad('po-other', 'patient_name'))).toThrow();
    });

    it('removes the patient data of orders closed before the retention cut-off and counts them', async () => {
      const closed = await receiveNew();
      await tx((m) =>
        service.receive(m, orderFixture({ uid: closed, status: 'cancelled', updated_at: 1_790_000_900 })),
      );
      const open = await receiveNew();
      const retention = new PatientDataRetentionService(repository, clock, {
        retentionDays: 7,
        batchSize: 1000,
      });
      expect(await tx((m) => retention.purgeBatch(m))).toBe(0); // closed today: kept
      clock.advance(7 * 24 * 60 * 60 * 1000 + 1);
      const later = clock.now();
      const removed = await tx((m) => retention.purgeBatch(m));
      expect(removed).toBeGreaterThanOrEqual(1); // other tests closed orders in this schema too
      expect(await tx((m) => repository.find(m, closed))).toMatchObject({
        patient_name: null,
        patient_email: null,
        delivery_address: null,
        patient_data_purged_at: later,
      });
      expect((await tx((m) => repository.find(m, open)))!.patient_name).not.toBeNull();
      expect(await tx((m) => retention.purgeBatch(m))).toBe(0);
    });
  });

  describe('retry of a refused order', () => {
    /** What RxScale shows when the retry re-reads it (the sandbox-backed source is tested in order-service.spec). */
    let rxscaleHas: Record<string, PharmacyOrderStatus>;
    let retries: OrderRetryService;
    beforeAll(() => {
      rxscaleHas = {};
      retries = new OrderRetryService(
        db.dataSource,
        repository,
        service,
        {
          fetch: (_pharmacy, uid) => Promise.resolve(orderFixture({ uid, status: rxscaleHas[uid]! })),
        },
        new OrderMetrics(new ServiceMetrics({ service: 'order-service-test', defaultMetrics: false })),
      );
    });
    const refusal = { outcome: 'refused', reason: 'HTTP 409: RxScale has the order in on-hold' } as const;

    it('queues the refused ready_for_pickup and the complete_order it withdrew again, as the log had them', async () => {
      const uid = await orderAt('in_progress');
      answers[uid] = [refusal];
      await tx((m) => service.shipmentDispatched(m, { ...shipment, pharmacy_order_uid: uid }));
      await drain();
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'refused',
        refused_from: 'shipped',
        refused_requested: 'ready_for_pickup',
      });
      rxscaleHas[uid] = 'in-progress';
      const result = await retries.retry({ pharmacyOrderUid: uid, comment: 'Portal korrigiert' });
      expect(result).toEqual({ pharmacyOrderUid: uid, state: 'shipped', changed: true });
      const queued = (await commands(uid)).filter((c) => c.status === 'pending');
      expect(queued.map((c) => c.payload)).toEqual([
        { status: 'ready_for_pickup', initiator: 'rxbridge' },
        {
          shipment_uid: 'shp-1',
          carrier: 'GLS',
          tracking_number: 'GLS-123',
          tracking_url: 'https://tracking.example.invalid/GLS-123',
        },
      ]);
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        refused_from: null,
        refused_requested: null,
        refused_reason: null,
      });
      await drain();
      expect(await state(uid)).toBe('completed');
      expect((await outbox(uid)).map((e) => e.type)).toContain('pharmacy.order.completed');
    });

    it('rebuilds the change once housekeeping removed it from the log; an on-hold then needs the comment', async () => {
      const uid = await orderAt('in_progress');
      answers[uid] = [refusal];
      await tx((m) => service.putOnHold(m, { pharmacyOrderUid: uid, comment: 'Rückfrage Arzt' }));
      await drain();
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'refused',
        held_from: 'in_progress',
        refused_from: 'on_hold',
      });
      await db.dataSource.query('DELETE FROM rxscale_command WHERE target_uid = $1', [uid]);
      rxscaleHas[uid] = 'in-progress';
      const history = await tx((m) => repository.history(m, uid));
      await expect(retries.retry({ pharmacyOrderUid: uid })).rejects.toMatchObject({
        code: 'comment_required',
      });
      expect(await state(uid)).toBe('refused');
      expect(await tx((m) => repository.history(m, uid))).toEqual(history);
      expect(await commands(uid)).toEqual([]);
      await retries.retry({ pharmacyOrderUid: uid, comment: 'Rückruf abwarten' });
      expect(await tx((m) => repository.find(m, uid))).toMatchObject({
        state: 'on_hold',
        held_from: 'in_progress',
      });
      expect((await commands(uid)).map((c) => c.payload)).toEqual([
        { status: 'on-hold', initiator: 'pharmacy', comment: 'Rückruf abwarten' },
      ]);
      expect((await tx((m) => repository.history(m, uid))).at(-1)).toMatchObject({
        trigger: 'retry',
        from_state: 'refused',
        to_state: 'on_hold',
        initiator: 'operator',
        note: 'retry of on-hold with RxScale in in-progress: Rückruf abwarten',
      });
    });
  });
});
