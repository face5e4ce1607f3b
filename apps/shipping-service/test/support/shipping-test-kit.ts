/**
 * The shipping tests' own helpers (schema, services, a cipher, fixtures); the generic ones (database URL,
 * waitFor, invented people) are @rxbridge/testing's.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  buildEvent,
  EventSources,
  type OrderCancelled,
  type OrderReadyForPickup,
  type OrderReceived,
} from '@rxbridge/contracts';
import { createServiceDataSource, ManualClock, migrateServiceSchema } from '@rxbridge/service-kit';
import { databaseUrl } from '@rxbridge/testing';
import { type DataSource } from 'typeorm';
import { DEFAULT_CARRIERS, type ShippingConfig } from '../../src/config/shipping-service-config.js';
import { type DeliveryAddress } from '../../src/shipments/delivery-address.js';
import { type FieldCipher } from '../../src/shipments/field-cipher.port.js';
import { shippingServiceMigrations } from '../../src/migrations/index.js';
import { OrderFollowerService } from '../../src/shipments/order-follower.service.js';
import { ShipmentDeskService } from '../../src/shipments/shipment-desk.service.js';
import { ShipmentRetentionService } from '../../src/shipments/shipment-retention.service.js';
import { ShipmentRepository } from '../../src/shipments/shipment.repository.js';

/**
 * AES-256-GCM with a random 96-bit IV per value, the AAD bound in: `v1.<iv>.<tag>.<ciphertext>` (base64url).
 * Stands in for service-kit's FieldCipher (same shape) until it lands.
 */
export class TestFieldCipher implements FieldCipher {
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  encrypt(plaintext: string, aad = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  decrypt(envelope: string, aad = ''): string {
    const [version, iv, tag, data] = envelope.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a v1 field envelope');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}

export interface ShippingTestDatabase {
  schema: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

/** A fresh schema `shipping_t_<random>` with every migration applied; close() drops it. */
export async function createShippingTestDatabase(): Promise<ShippingTestDatabase> {
  const schema = `shipping_t_${randomBytes(4).toString('hex')}`;
  const dataSource = createServiceDataSource({
    url: databaseUrl,
    schema,
    migrations: shippingServiceMigrations,
    poolSize: 4,
  });
  await dataSource.initialize();
  await migrateServiceSchema(dataSource);
  return {
    schema,
    dataSource,
    async close() {
      await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await dataSource.destroy();
    },
  };
}

export const testShippingConfig: ShippingConfig = {
  carriers: DEFAULT_CARRIERS,
  pickupDeliveryTypes: ['pickup'],
  addressRetentionDays: 30,
  addressMaxOpenDays: 60,
  retentionIntervalMs: 3_600_000,
};

/** The use cases wired by hand as Nest would, around one clock and one cipher. */
export function createShipping(
  options: { clock?: ManualClock; cipher?: FieldCipher; config?: ShippingConfig } = {},
) {
  const clock = options.clock ?? new ManualClock('2026-03-02T09:00:00.000Z');
  const cipher = options.cipher ?? new TestFieldCipher();
  const config = options.config ?? testShippingConfig;
  const repository = new ShipmentRepository(cipher);
  return {
    clock,
    cipher,
    repository,
    follower: new OrderFollowerService(repository, clock, config),
    desk: new ShipmentDeskService(repository, clock),
    retention: new ShipmentRetentionService(repository, clock, config),
  };
}

let sequence = 0;
/** A new invented pharmacy order uid per call. */
export function newOrderUid(): string {
  sequence += 1;
  return `po-test-${randomBytes(3).toString('hex')}-${sequence}`;
}

export const PHARMACY_UID = 'ph-test-apotheke';

/** An invented person: nobody real lives here. */
export const INVENTED_ADDRESS: DeliveryAddress = {
  first_name: 'Testa',
  last_name: 'Beispielfrau',
  street: 'Musterweg',
  house_number: '17b',
  zip_code: '99999',
  city: 'Erfundenstadt',
  country: 'Germany',
  additional_address: 'Hinterhaus Erfunden',
  province: null,
};

const time = '2026-03-02T08:00:00.000Z';
const source = { source: EventSources.orderService };

export function orderReceived(uid: string, deliveryType: string | null = 'shipping'): OrderReceived {
  return buildEvent(
    'pharmacy.order.received',
    {
      pharmacy_uid: PHARMACY_UID,
      pharmacy_order_uid: uid,
      order_uid: `ord-${uid}`,
      name: 'PO-TEST-0000-0001',
      status: 'pending review',
      delivery_type: deliveryType,
      lines: [
        {
          order_item_uid: 'oi-1',
          sku_uid: 'sku-1',
          pharmacy_sku_uid: 'psku-1',
          pzn: '01234567',
          quantity: 1,
        },
      ],
      received_at: time,
    },
    source,
  ).data;
}

export function orderReady(uid: string): OrderReadyForPickup {
  return buildEvent(
    'pharmacy.order.ready-for-pickup',
    { pharmacy_uid: PHARMACY_UID, pharmacy_order_uid: uid, initiator: 'pharmacy', ready_at: time },
    source,
  ).data;
}

export function orderCancelled(uid: string): OrderCancelled {
  return buildEvent(
    'pharmacy.order.cancelled',
    {
      pharmacy_uid: PHARMACY_UID,
      pharmacy_order_uid: uid,
      previous_status: 'in-progress',
      initiator: 'rxscale',
      cancelled_at: time,
    },
    source,
  ).data;
}

export interface OutboxRow {
  topic: string;
  key: string;
  value: { type: string; subject: string; data: Record<string, unknown> };
}

export async function outboxRows(dataSource: DataSource): Promise<OutboxRow[]> {
  return dataSource.query<OutboxRow[]>('SELECT topic, key, value FROM outbox ORDER BY id');
}

/** Row counts of the service's own tables and the outbox, to prove a refused command wrote nothing. */
export async function tableCounts(dataSource: DataSource): Promise<Record<string, number>> {
  const rows = await dataSource.query<Record<string, number>[]>(`
    SELECT (SELECT count(*)::int FROM shipping_order) AS shipping_order,
           (SELECT count(*)::int FROM shipment) AS shipment,
           (SELECT count(*)::int FROM delivery_address) AS delivery_address,
           (SELECT count(*)::int FROM shipment_history) AS shipment_history,
           (SELECT count(*)::int FROM outbox) AS outbox,
           (SELECT count(*)::int FROM rxscale_command) AS rxscale_command`);
  return rows[0]!;
}

/** A fingerprint of every row: the shipment rows with their times, so "nothing changed" can be checked. */
export async function snapshot(dataSource: DataSource): Promise<unknown> {
  return dataSource.query(`
    SELECT (SELECT coalesce(json_agg(s ORDER BY shipment_uid), '[]') FROM shipment s) AS shipments,
           (SELECT coalesce(json_agg(o ORDER BY pharmacy_order_uid), '[]') FROM shipping_order o) AS orders,
           (SELECT count(*)::int FROM shipment_history) AS history,
           (SELECT count(*)::int FROM outbox) AS outbox`);
}

/** Every text value of every table in the schema, as one string, for "no patient data in clear" checks. */
export async function dumpSchemaText(db: ShippingTestDatabase): Promise<string> {
  const tables = await db.dataSource.query<{ table_name: string }[]>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
    [db.schema],
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await db.dataSource.query<{ row: string }[]>(
      `SELECT t::text AS row FROM "${db.schema}"."${table_name}" t`,
    );
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}
