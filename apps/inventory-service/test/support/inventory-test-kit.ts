// inventory-service's own test helpers (its schema, repositories, relay); the generic ones are @rxbridge/testing's.
import { randomBytes } from 'node:crypto';
import { InProcessRateBudget, RxScaleClient } from '@rxbridge/rxscale-client';
import { type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import {
  createServiceDataSource,
  ManualClock,
  migrateServiceSchema,
  RxscaleCommandRelay,
  silentLogger,
} from '@rxbridge/service-kit';
import { databaseUrl } from '@rxbridge/testing';
import { type DataSource } from 'typeorm';
import { inventoryServiceMigrations } from '../../src/migrations/index.js';
import {
  InventoryCommandExecutor,
  type InventoryCommandObserver,
} from '../../src/rxscale/inventory-command.executor.js';
import { type RxscaleClientPort } from '../../src/rxscale/rxscale-client.port.js';
import { StockReservationService } from '../../src/reservations/stock-reservation.service.js';
import { ReservationRepository } from '../../src/reservations/reservation.repository.js';
import { PharmacySkuRepository } from '../../src/skus/pharmacy-sku.repository.js';
import { SkuSyncRunner } from '../../src/skus/sku-sync.runner.js';
import { SkuSyncService } from '../../src/skus/sku-sync.service.js';
import { StockDriftService } from '../../src/skus/stock-drift.service.js';
import { StockLevelService } from '../../src/stock/stock-level.service.js';
import { StockRepository } from '../../src/stock/stock.repository.js';

export interface TestDatabase {
  schema: string;
  dataSource: DataSource;
  /** Another pool on the same schema: a second replica. */
  replica(): Promise<DataSource>;
  close(): Promise<void>;
}

/** A schema of its own (`inventory_t_<random>`), migrated, dropped by close(). */
export async function openTestDatabase(): Promise<TestDatabase> {
  const schema = `inventory_t_${randomBytes(5).toString('hex')}`;
  const open = async () => {
    const ds = createServiceDataSource({ url: databaseUrl, schema, migrations: inventoryServiceMigrations });
    await ds.initialize();
    return ds;
  };
  const dataSource = await open();
  await migrateServiceSchema(dataSource);
  const replicas: DataSource[] = [];
  return {
    schema,
    dataSource,
    async replica() {
      const ds = await open();
      replicas.push(ds);
      return ds;
    },
    async close() {
      for (const r of replicas) await r.destroy();
      await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
      await dataSource.destroy();
    },
  };
}

export interface InventoryUnderTest {
  clock: ManualClock;
  stockRepository: StockRepository;
  skuRepository: PharmacySkuRepository;
  stock: StockLevelService;
  reservations: StockReservationService;
  drift: StockDriftService;
  sync: SkuSyncService;
}

/** The use cases wired by hand, as the module will wire them. */
export function inventoryServices(clock = new ManualClock('2026-03-02T08:00:00.000Z')): InventoryUnderTest {
  const stockRepository = new StockRepository();
  const skuRepository = new PharmacySkuRepository();
  return {
    clock,
    stockRepository,
    skuRepository,
    stock: new StockLevelService(stockRepository, skuRepository, clock),
    reservations: new StockReservationService(
      new ReservationRepository(),
      stockRepository,
      skuRepository,
      clock,
    ),
    drift: new StockDriftService(skuRepository, clock),
    sync: new SkuSyncService(skuRepository, clock),
  };
}

export async function admin<T = unknown>(
  sb: RunningSandbox,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${sb.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`admin ${method} ${path} answered ${res.status}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export interface SandboxPharmacy {
  pharmacyUid: string;
  apiKey: string;
  /** psku uids, index i has PZN 1000000i-ish and, when given, external id ART-i. */
  pharmacySkuUids: string[];
}

/**
 * One invented pharmacy with `count` SKUs (PZN `2000000i` padded to 8 digits), each with the given stock
 * and, when `externalIds`, external id `ART-<i>`.
 */
export async function sandboxPharmacy(
  sb: RunningSandbox,
  options: { pharmacyUid: string; count: number; stock?: number; externalIds?: boolean },
): Promise<SandboxPharmacy> {
  const { pharmacyUid, count } = options;
  await admin(sb, 'POST', '/pharmacies', { uid: pharmacyUid, display_name: `Testapotheke ${pharmacyUid}` });
  const { key } = await admin<{ key: string }>(sb, 'POST', '/api-keys', {
    name: `key-${pharmacyUid}`,
    pharmacy_uid: pharmacyUid,
    permissions: [
      'orders_read',
      'orders_write',
      'stock_read',
      'stock_write',
      'pharmacy_sku_write',
      'webhooks_read',
      'webhooks_write',
    ],
  });
  const pharmacySkuUids: string[] = [];
  for (let i = 0; i < count; i++) {
    const skuUid = `sku-${pharmacyUid}-${i}`;
    await admin(sb, 'POST', '/skus', { uid: skuUid, display_name: `Testpräparat ${i}`, pzn: pznOf(i) });
    const psku = await admin<{ uid: string }>(sb, 'POST', '/pharmacy-skus', {
      uid: `psku-${pharmacyUid}-${i}`,
      pharmacy_uid: pharmacyUid,
      sku_uid: skuUid,
      price: 1000 + i,
      stock: options.stock ?? 0,
      ...(options.externalIds ? { external_id: `ART-${i}` } : {}),
    });
    pharmacySkuUids.push(psku.uid);
  }
  return { pharmacyUid, apiKey: key, pharmacySkuUids };
}

export function pznOf(i: number): string {
  return String(20_000_000 + i);
}

export async function sandboxStock(sb: RunningSandbox, pharmacySkuUid: string): Promise<number> {
  return (await admin<{ stock: number }>(sb, 'GET', `/pharmacy-skus/${pharmacySkuUid}`)).stock;
}

export async function stockPushes(sb: RunningSandbox): Promise<{ path: string; status: number }[]> {
  const log = await admin<{
    entries: { method: string; path: string; endpoint: string | null; status: number }[];
  }>(sb, 'GET', '/requests?limit=100000');
  return log.entries.filter((e) => e.endpoint === 'PATCH /pharmacy_skus/{uid}/stock');
}

/** Clients per pharmacy against the sandbox, sharing one in-process budget. */
export function sandboxClients(
  sb: RunningSandbox,
  keys: Record<string, string>,
): RxscaleClientPort & { client(pharmacyUid: string): RxScaleClient; close(): Promise<void> } {
  const budget = new InProcessRateBudget();
  const clients = new Map<string, RxScaleClient>();
  const clientFor = (pharmacyUid: string): RxScaleClient => {
    const key = keys[pharmacyUid];
    if (!key) throw new Error(`no key for ${pharmacyUid}`);
    let client = clients.get(pharmacyUid);
    if (!client) {
      client = new RxScaleClient({
        baseUrl: sb.url,
        apiKey: key,
        keyScope: 'pharmacy',
        pharmacyUid,
        retry: { baseDelayMs: 20, maxDelayMs: 200 },
        budget,
      });
      clients.set(pharmacyUid, client);
    }
    return client;
  };
  return {
    clientFor,
    serves: (pharmacyUid: string) => keys[pharmacyUid] !== undefined,
    client: clientFor,
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
      await budget.close();
    },
  };
}

export function commandRelay(
  dataSource: DataSource,
  clients: RxscaleClientPort,
  observer: InventoryCommandObserver = {},
  clock = new ManualClock(),
): RxscaleCommandRelay {
  const executor = new InventoryCommandExecutor(
    dataSource,
    new PharmacySkuRepository(),
    clients,
    clock,
    observer,
  );
  return new RxscaleCommandRelay({
    dataSource,
    execute: executor.execute,
    listenUrl: databaseUrl,
    concurrency: 2,
    pollIntervalMs: 200,
    backoff: { initialMs: 50, maxMs: 500 },
    logger: silentLogger,
  });
}

export function syncRunner(
  dataSource: DataSource,
  clients: RxscaleClientPort,
  sync: SkuSyncService,
): SkuSyncRunner {
  return new SkuSyncRunner(dataSource, sync, clients);
}

export async function pendingCommands(dataSource: DataSource, kind = 'sku.stock'): Promise<number> {
  const rows = await dataSource.query<{ n: string }[]>(
    `SELECT count(*) AS n FROM rxscale_command WHERE status = 'pending' AND kind = $1`,
    [kind],
  );
  return Number(rows[0]!.n);
}

export interface OrderLineFixture {
  pharmacySkuUid?: string | null;
  externalId?: string | null;
  pzn?: string | null;
  quantity: number;
}

/** A `pharmacy.order.received` payload (no patient data: the event carries none). */
export function orderReceived(pharmacyUid: string, pharmacyOrderUid: string, lines: OrderLineFixture[]) {
  return {
    pharmacy_uid: pharmacyUid,
    pharmacy_order_uid: pharmacyOrderUid,
    order_uid: `order-${pharmacyOrderUid}`,
    name: `PO-TEST-${pharmacyOrderUid}`,
    status: 'waiting for pharmacy' as const,
    lines: lines.map((l, i) => ({
      order_item_uid: `${pharmacyOrderUid}-item-${i}`,
      sku_uid: `sku-${i}`,
      pharmacy_sku_uid: l.pharmacySkuUid ?? null,
      external_id: l.externalId ?? null,
      pzn: l.pzn ?? null,
      quantity: l.quantity,
    })),
    received_at: '2026-03-02T08:00:00.000Z',
  };
}

export function orderCancelled(pharmacyUid: string, pharmacyOrderUid: string) {
  return {
    pharmacy_uid: pharmacyUid,
    pharmacy_order_uid: pharmacyOrderUid,
    previous_status: 'pending review' as const,
    initiator: 'rxscale' as const,
    cancelled_at: '2026-03-02T09:00:00.000Z',
  };
}

export function orderCompleted(pharmacyUid: string, pharmacyOrderUid: string) {
  return {
    pharmacy_uid: pharmacyUid,
    pharmacy_order_uid: pharmacyOrderUid,
    completed_at: '2026-03-02T10:00:00.000Z',
  };
}

export async function outboxEvents(
  dataSource: DataSource,
  type: string,
): Promise<{ data: Record<string, unknown> }[]> {
  const rows = await dataSource.query<{ value: { data: Record<string, unknown> } }[]>(
    `SELECT value FROM outbox WHERE value->>'type' = $1 ORDER BY id`,
    [type],
  );
  return rows.map((r) => r.value);
}
