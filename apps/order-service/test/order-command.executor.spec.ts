import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { RxScaleClient, RxScaleNotFoundError } from '@rxbridge/rxscale-client';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import {
  classifyFailure,
  ManualClock,
  RxscaleCommandRelay,
  silentLogger,
  type RxscaleCommand,
} from '@rxbridge/service-kit';
import { waitFor } from '@rxbridge/testing';
import { type EntityManager } from 'typeorm';
import { OrderLifecycleService } from '../src/orders/order-lifecycle.service.js';
import { OrderRepository } from '../src/orders/order.repository.js';
import { OrderCommandExecutor } from '../src/rxscale/order-command.executor.js';
import { RxScaleOrderDetailSource } from '../src/rxscale/order-detail.source.js';
import { singleClientSource } from '../src/rxscale/rxscale-client-source.js';
import {
  createSandboxOrder,
  createTestDatabase,
  sandboxAdmin,
  sandboxOrderStatus,
  sandboxRequestsFor,
  setupSandboxPharmacy,
  TESTA,
  TestPatientDataCipher,
  type SandboxPharmacy,
  type TestDatabase,
} from './support/order-test-kit.js';

let sb: RunningSandbox;
let pharmacy: SandboxPharmacy;
let client: RxScaleClient;
let executor: OrderCommandExecutor;
let detailSource: RxScaleOrderDetailSource;
let seq = 0;

function command(targetUid: string, kind: string, payload: unknown): RxscaleCommand {
  return {
    id: String(++seq),
    kind,
    targetUid,
    payload,
    priority: 20,
    pharmacyUid: pharmacy.pharmacyUid,
    status: 'pending',
    attempts: 0,
    reason: null,
    headers: {},
    createdAt: new Date(),
  };
}

function status(uid: string, target: string, comment?: string): RxscaleCommand {
  return command(uid, 'order.status', {
    status: target,
    initiator: 'rxbridge',
    ...(comment ? { comment } : {}),
  });
}

async function newOrder(): Promise<string> {
  return createSandboxOrder(sb, pharmacy, `po-ex-${++seq}`);
}

async function fault(spec: Record<string, unknown>): Promise<void> {
  await sandboxAdmin(sb, 'POST', '/faults', spec);
}

beforeAll(async () => {
  sb = await startSandbox({ rateLimit: false });
  pharmacy = await setupSandboxPharmacy(sb);
  client = new RxScaleClient({
    baseUrl: sb.apiUrl(),
    apiKey: pharmacy.apiKey,
    pharmacyUid: pharmacy.pharmacyUid,
    timeoutMs: 1_000,
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50 },
  });
  executor = new OrderCommandExecutor(singleClientSource(client));
  detailSource = new RxScaleOrderDetailSource(singleClientSource(client));
});

afterAll(async () => {
  await client.close();
  await sb.close();
});

beforeEach(async () => {
  await sandboxAdmin(sb, 'DELETE', '/faults');
});

describe(OrderCommandExecutor.name, () => {
  describe('answers RxScale accepts', () => {
    it('changes the status with one call', async () => {
      const uid = await newOrder();
      await expect(executor.execute(status(uid, 'pending review'))).resolves.toEqual({ outcome: 'done' });
      expect(await sandboxOrderStatus(sb, uid)).toBe('pending review');
      expect((await sandboxRequestsFor(sb, uid)).map((r) => `${r.method} ${r.status}`)).toEqual([
        'PATCH 200',
      ]);
    });

    it('cancels the order for the pharmacy', async () => {
      const uid = await newOrder();
      await executor.execute(status(uid, 'pending review'));
      await expect(executor.execute(status(uid, 'cancelled'))).resolves.toEqual({ outcome: 'done' });
      expect(await sandboxOrderStatus(sb, uid)).toBe('cancelled');
    });

    it('sends the on-hold comment', async () => {
      const uid = await newOrder();
      await executor.execute(status(uid, 'on-hold', 'PZN 12345678 not deliverable'));
      const history = await sandboxAdmin<{ to: string; comment?: string }[]>(
        sb,
        'GET',
        `/orders/${uid}/history`,
      );
      expect(history.at(-1)).toMatchObject({ to: 'on-hold', comment: 'PZN 12345678 not deliverable' });
    });

    it('completes the order with the shipment details', async () => {
      const uid = await newOrder();
      for (const s of ['pending review', 'in-progress', 'ready_for_pickup'])
        await executor.execute(status(uid, s));
      const done = await executor.execute(
        command(uid, 'order.complete', {
          shipment_uid: 'shp-1',
          carrier: 'DHL',
          tracking_number: 'JJD000111',
          tracking_url: 'https://tracking.example.invalid/JJD000111',
        }),
      );
      expect(done).toEqual({ outcome: 'done' });
      const order = await sandboxAdmin<{ status: string; shipment: Record<string, unknown> }>(
        sb,
        'GET',
        `/orders/${uid}`,
      );
      expect(order.status).toBe('completed');
      expect(order.shipment).toMatchObject({ carrier: 'DHL', tracking_number: 'JJD000111' });
    });

    it('takes a retried change whose first answer was lost as done', async () => {
      const uid = await newOrder();
      // the first attempt is answered only after the client gave up on it (and on its own retry)
      await fault({
        kind: 'latency',
        endpoint: { method: 'PATCH', path: '/pharmacy_orders/{uid}/status' },
        ms: 2_500,
        count: 2,
      });
      const first = await executor.execute(status(uid, 'pending review')).catch((e: unknown) => e);
      expect(classifyFailure(first)).toBe('transient');
      await waitFor(
        async () => (await sandboxOrderStatus(sb, uid)) === 'pending review',
        `${uid} pending review`,
      );
      // the relay's next attempt
      await expect(executor.execute(status(uid, 'pending review'))).resolves.toEqual({ outcome: 'done' });
    });
  });

  describe('answers RxScale refuses', () => {
    it('re-reads the order on a 409 and records the refusal', async () => {
      const uid = await newOrder();
      await sandboxAdmin(sb, 'POST', `/orders/${uid}/cancel`, {});
      const outcome = await executor.execute(status(uid, 'in-progress'));
      expect(outcome).toEqual({
        outcome: 'refused',
        reason: 'HTTP 409: RxScale has the order in cancelled and refused in-progress',
      });
      expect((await sandboxRequestsFor(sb, uid)).map((r) => `${r.method} ${r.status}`)).toEqual([
        'PATCH 409',
        'GET 200',
      ]);
    });

    it('refuses complete_order before ready_for_pickup', async () => {
      const uid = await newOrder();
      const outcome = await executor.execute(command(uid, 'order.complete', { shipment_uid: null }));
      expect(outcome).toEqual({
        outcome: 'refused',
        reason: 'HTTP 409: RxScale has the order in waiting for pharmacy and refused complete_order',
      });
    });

    it('counts a 409 for an order already where it should be as done', async () => {
      // The sandbox answers a repeated status with 200, so a stand-in RxScale gives this one answer: 409 to
      // the PATCH, and the order (as the sandbox serves it) already in the target status to the re-read.
      const uid = await newOrder();
      await executor.execute(status(uid, 'pending review'));
      const detail = await client.getPharmacyOrder(uid);
      const standIn = await serve((method) =>
        method === 'PATCH' ? [409, { error: 'Status transition not allowed' }] : [200, detail],
      );
      try {
        const other = new RxScaleClient({
          baseUrl: standIn.url,
          apiKey: 'stand-in-key',
          pharmacyUid: pharmacy.pharmacyUid,
        });
        const outcome = await new OrderCommandExecutor(singleClientSource(other)).execute(
          status(uid, 'pending review'),
        );
        expect(outcome).toEqual({ outcome: 'done' });
        expect(standIn.calls).toEqual(['PATCH', 'GET']);
      } finally {
        await standIn.close();
      }
    });
  });

  describe('faults', () => {
    it.each([
      ['a 5xx', { kind: 'error', status: 503 }],
      ['a 429', { kind: 'rate_limit' }],
      ['a timeout', { kind: 'hang', ms: 5_000 }],
    ])('throws %s as retryable, changing nothing', async (_what, spec) => {
      const uid = await newOrder();
      await fault({
        ...spec,
        endpoint: { method: 'PATCH', path: '/pharmacy_orders/{uid}/status' },
        count: 5,
      });
      const error = await executor.execute(status(uid, 'pending review')).catch((e: unknown) => e);
      expect(error).toMatchObject({ retryable: true });
      expect(classifyFailure(error)).toBe('transient');
      expect(await sandboxOrderStatus(sb, uid)).toBe('waiting for pharmacy');
    });

    it('throws an unknown order as permanent', async () => {
      const error = await executor.execute(status('po-nowhere', 'pending review')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RxScaleNotFoundError);
      expect(classifyFailure(error)).toBe('permanent');
    });

    it('throws a command that is not an order command as permanent', async () => {
      const error = await executor
        .execute(command('po-x', 'order.status', { status: 'completed' }))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'command_invalid', permanent: true });
    });
  });
});

describe(RxScaleOrderDetailSource.name, () => {
  it('fetches the order without its prescription file', async () => {
    const uid = await newOrder();
    const order = await detailSource.fetch(pharmacy.pharmacyUid, uid);
    expect(order).toMatchObject({
      uid,
      status: 'waiting for pharmacy',
      patient_data: { email: TESTA.email },
    });
    expect(order).not.toHaveProperty('prescription_file');
    expect(JSON.stringify(order)).not.toContain('content_base64');
  });

  it('rides out one 5xx and throws a lasting one as retryable', async () => {
    const uid = await newOrder();
    await fault({
      kind: 'error',
      status: 502,
      endpoint: { method: 'GET', path: '/pharmacy_orders/{uid}' },
      count: 1,
    });
    await expect(detailSource.fetch(pharmacy.pharmacyUid, uid)).resolves.toMatchObject({ uid });
    await fault({
      kind: 'error',
      status: 502,
      endpoint: { method: 'GET', path: '/pharmacy_orders/{uid}' },
      count: 5,
    });
    await expect(detailSource.fetch(pharmacy.pharmacyUid, uid)).rejects.toMatchObject({ retryable: true });
  });

  it('throws an unknown order as not found', async () => {
    await expect(detailSource.fetch(pharmacy.pharmacyUid, 'po-nowhere')).rejects.toBeInstanceOf(
      RxScaleNotFoundError,
    );
  });
});

describe('an order from webhook to completed', () => {
  let db: TestDatabase;
  let service: OrderLifecycleService;
  let relay: RxscaleCommandRelay;
  const tx = <T>(fn: (m: EntityManager) => Promise<T>) => db.dataSource.transaction(fn);
  const drain = async () => {
    while (await relay.executeOne()) {
      /* next */
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    service = new OrderLifecycleService(
      new OrderRepository(),
      new ManualClock(),
      new TestPatientDataCipher(),
      {
        stockPolicy: { default: 'on-hold', byPharmacy: {} },
      },
    );
    relay = new RxscaleCommandRelay({
      dataSource: db.dataSource,
      execute: executor.execute,
      onOutcome: service.commandSettled,
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await db.drop();
  });

  it('takes five RxScale calls: detail, three status changes, complete_order', async () => {
    const uid = await newOrder();
    const ref = { pharmacy_uid: pharmacy.pharmacyUid, pharmacy_order_uid: uid };
    await tx(async (m) => service.receive(m, await detailSource.fetch(pharmacy.pharmacyUid, uid)));
    await drain();
    await tx((m) =>
      service.stockReserved(m, {
        ...ref,
        lines: [{ pharmacy_sku_uid: 'x', pzn: null, quantity: 1 }],
        reserved_at: new Date().toISOString(),
      }),
    );
    await drain();
    await tx((m) => service.markReady(m, { pharmacyOrderUid: uid }));
    await drain();
    await tx((m) =>
      service.shipmentDispatched(m, {
        ...ref,
        shipment_uid: 'shp-e2e',
        carrier: 'GLS',
        tracking_number: 'GLS-E2E',
        tracking_url: null,
        dispatched_at: new Date().toISOString(),
      }),
    );
    await drain();
    expect(await sandboxOrderStatus(sb, uid)).toBe('completed');
    const calls = await sandboxRequestsFor(sb, uid);
    expect(calls.map((c) => c.endpoint)).toEqual([
      'GET /pharmacy_orders/{uid}',
      'PATCH /pharmacy_orders/{uid}/status',
      'PATCH /pharmacy_orders/{uid}/status',
      'PATCH /pharmacy_orders/{uid}/status',
      'PATCH /pharmacy_orders/{uid}/complete_order',
    ]);
    const row = await tx((m) => new OrderRepository().find(m, uid));
    expect(row).toMatchObject({ state: 'completed', rxscale_status: 'completed' });
  });

  it('records a transition RxScale refuses and does not send it again', async () => {
    const uid = await newOrder();
    await tx(async (m) => service.receive(m, await detailSource.fetch(pharmacy.pharmacyUid, uid)));
    await drain();
    await sandboxAdmin(sb, 'POST', `/orders/${uid}/cancel`, {});
    await tx((m) =>
      service.stockReserved(m, {
        pharmacy_uid: pharmacy.pharmacyUid,
        pharmacy_order_uid: uid,
        lines: [{ pharmacy_sku_uid: 'x', pzn: null, quantity: 1 }],
        reserved_at: new Date().toISOString(),
      }),
    );
    await drain();
    await drain();
    const row = await tx((m) => new OrderRepository().find(m, uid));
    expect(row).toMatchObject({
      state: 'refused',
      refused_requested: 'in-progress',
      refused_status_code: 409,
    });
    const [cmd] = await db.dataSource.query(
      `SELECT status, attempts FROM rxscale_command WHERE target_uid = $1 AND payload->>'status' = 'in-progress'`,
      [uid],
    );
    expect(cmd).toEqual({ status: 'refused', attempts: 1 });
    expect((await sandboxRequestsFor(sb, uid)).filter((r) => r.status === 409)).toHaveLength(1);
  });
});

/** A real HTTP server answering every request with `answer(method)`; records the methods it saw. */
async function serve(
  answer: (method: string) => [number, unknown],
): Promise<{ url: string; calls: string[]; close(): Promise<void> }> {
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    calls.push(req.method ?? '');
    req.resume();
    req.on('end', () => {
      const [code, body] = answer(req.method ?? '');
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
