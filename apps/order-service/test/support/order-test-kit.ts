/**
 * order-service's own test helpers (its schema, sandbox fixtures, a cipher); the generic ones (database URL,
 * waitFor, invented people) are `@rxbridge/testing`'s.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type PharmacyOrder } from '@rxbridge/rxscale-contract';
import { createServiceDataSource, migrateServiceSchema } from '@rxbridge/service-kit';
import { databaseUrl } from '@rxbridge/testing';
import { type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { type DataSource } from 'typeorm';
import { orderServiceMigrations } from '../../src/migrations/index.js';
import { type PatientDataCipher } from '../../src/patient-data/patient-data-cipher.js';

/** AES-256-GCM with a random key per instance; envelope `v1.<iv>.<tag>.<ciphertext>` in base64url. */
export class TestPatientDataCipher implements PatientDataCipher {
  private readonly key = randomBytes(32);

  encrypt(plaintext: string, aad = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  decrypt(envelope: string, aad = ''): string {
    const [, iv, tag, body] = envelope.split('.').map((p) => Buffer.from(p, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv!).setAAD(Buffer.from(aad)).setAuthTag(tag!);
    return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
  }
}

export interface TestDatabase {
  dataSource: DataSource;
  schema: string;
  drop(): Promise<void>;
}

/** A migrated schema of its own (`orders_t_<random>`), dropped by `drop()`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const schema = `orders_t_${randomBytes(5).toString('hex')}`;
  const dataSource = createServiceDataSource({
    url: databaseUrl,
    schema,
    migrations: orderServiceMigrations,
    poolSize: 4,
  });
  await dataSource.initialize();
  await migrateServiceSchema(dataSource);
  return {
    dataSource,
    schema,
    drop: async () => {
      await dataSource.query(`DROP SCHEMA "${schema}" CASCADE`);
      await dataSource.destroy();
    },
  };
}

/** Invented people only. */
export const TESTA = {
  display_name: 'Testa Beispiel',
  email: 'testa.beispiel@example.invalid',
  date_of_birth: '1970-01-31',
  street: 'Musterweg',
  house_number: '17b',
  zip_code: '99999',
  city: 'Erfundenstadt',
} as const;

/** A pharmacy order as RxScale's detail would carry it, with Testa Beispiel as the patient. */
export function orderFixture(overrides: Partial<PharmacyOrder> & { uid: string }): PharmacyOrder {
  return {
    status: 'waiting for pharmacy',
    name: `PO-${overrides.uid.toUpperCase()}`,
    pharmacy: { uid: 'ph-test-1', display_name: 'Apotheke Test' },
    order: {
      uid: `ord-${overrides.uid}`,
      priority: 2,
      delivery_address: {
        first_name: 'Testa',
        last_name: 'Beispiel',
        street: TESTA.street,
        house_number: TESTA.house_number,
        zip_code: TESTA.zip_code,
        city: TESTA.city,
        country: 'Germany',
        additional_address: null,
      },
    },
    delivery_type: { uid: 'dt-1', display_name: 'Versand', identifier: 'shipping' },
    order_items: [
      {
        uid: `oi-${overrides.uid}-1`,
        amount: 2,
        sku: { uid: 'sku-ibu', display_name: 'Ibuprofen 400 mg', pzn: '06312077' },
        pharmacy_sku: { uid: 'psku-ibu', external_id: 'WAWI-1', price: 599, stock: 10 },
      },
    ],
    patient_data: {
      uid: 'pat-invented-1',
      display_name: TESTA.display_name,
      email: TESTA.email,
      date_of_birth: TESTA.date_of_birth,
    },
    created_at: 1_790_000_000,
    updated_at: 1_790_000_100,
    ...overrides,
  };
}

/** Calls the sandbox's admin API; throws on a non-2xx answer. */
export async function sandboxAdmin<T = unknown>(
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
  if (res.status >= 300) throw new Error(`admin ${method} ${path} answered ${res.status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

const ALL_PERMISSIONS = ['orders_read', 'orders_write', 'stock_read', 'stock_write', 'pharmacy_sku_write'];

export interface SandboxPharmacy {
  pharmacyUid: string;
  apiKey: string;
  pharmacySkuUid: string;
}

/** A pharmacy with an all-permission single-pharmacy key and one stocked SKU. */
export async function setupSandboxPharmacy(
  sb: RunningSandbox,
  pharmacyUid = 'ph-ord-1',
): Promise<SandboxPharmacy> {
  await sandboxAdmin(sb, 'POST', '/pharmacies', { uid: pharmacyUid, display_name: 'Apotheke Testdorf' });
  const { key } = await sandboxAdmin<{ key: string }>(sb, 'POST', '/api-keys', {
    name: `key-${pharmacyUid}`,
    pharmacy_uid: pharmacyUid,
    permissions: ALL_PERMISSIONS,
  });
  await sandboxAdmin(sb, 'POST', '/skus', {
    uid: `sku-${pharmacyUid}`,
    display_name: 'Testpräparat',
    pzn: '12345678',
  });
  const psku = await sandboxAdmin<{ uid: string }>(sb, 'POST', '/pharmacy-skus', {
    uid: `psku-${pharmacyUid}`,
    pharmacy_uid: pharmacyUid,
    sku_uid: `sku-${pharmacyUid}`,
    price: 1299,
    stock: 100,
  });
  return { pharmacyUid, apiKey: key, pharmacySkuUid: psku.uid };
}

/** Creates an order at the sandbox for Testa Beispiel; returns its uid. */
export async function createSandboxOrder(
  sb: RunningSandbox,
  pharmacy: SandboxPharmacy,
  uid: string,
): Promise<string> {
  const order = await sandboxAdmin<{ uid: string }>(sb, 'POST', '/orders', {
    uid,
    pharmacy_uid: pharmacy.pharmacyUid,
    items: [{ pharmacy_sku_uid: pharmacy.pharmacySkuUid, amount: 1 }],
    patient: {
      first_name: 'Testa',
      last_name: 'Beispiel',
      email: TESTA.email,
      date_of_birth: TESTA.date_of_birth,
    },
    delivery_address: {
      street: TESTA.street,
      house_number: TESTA.house_number,
      zip_code: TESTA.zip_code,
      city: TESTA.city,
    },
  });
  return order.uid;
}

export interface SandboxRequest {
  method: string;
  endpoint?: string;
  status: number;
  path: string;
}

/** The API requests the sandbox saw for one order (by its uid in the path). */
export async function sandboxRequestsFor(
  sb: RunningSandbox,
  pharmacyOrderUid: string,
): Promise<SandboxRequest[]> {
  const log = await sandboxAdmin<{ entries: SandboxRequest[] }>(sb, 'GET', '/requests?limit=100000');
  return log.entries.filter((e) => e.path.includes(`/${pharmacyOrderUid}`));
}

export async function sandboxOrderStatus(sb: RunningSandbox, pharmacyOrderUid: string): Promise<string> {
  return (await sandboxAdmin<{ status: string }>(sb, 'GET', `/orders/${pharmacyOrderUid}`)).status;
}
