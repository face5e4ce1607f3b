import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { mintApiToken, RxscaleSourceError } from '@rxbridge/service-kit';
import { brokers, databaseUrl, uniqueSuffix } from '@rxbridge/testing';
import pg from 'pg';
import { loadOrderServiceConfig } from '../src/config/order-service-config.js';
import { createOrderServiceApp } from '../src/order-service-app.js';

/** Start-up refusals of createOrderServiceApp: a config the service cannot serve stops it before it connects. */
describe('order-service start-up', () => {
  const config = (env: Record<string, string>) =>
    loadOrderServiceConfig({
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: brokers.join(','),
      HTTP_API_TOKENS: JSON.stringify([mintApiToken('test-pms', ['orders:read']).entry]),
      PATIENT_DATA_KEYS: JSON.stringify({ 'pd-test': randomBytes(32).toString('base64') }),
      RXSCALE_SOURCES: JSON.stringify({
        solo: {
          baseUrl: 'http://127.0.0.1:4010',
          apiKey: 'rxs_startup_test_key_0123456789',
          scope: 'pharmacy',
          pharmacies: ['ph-served'],
        },
      }),
      ...env,
    });

  it('refuses a per-pharmacy stock policy for a pharmacy no source serves, naming the variable, creating nothing', async () => {
    const schema = `orders_start_${uniqueSuffix()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 20)}`;
    const start = createOrderServiceApp(
      config({
        ORDERS_OUT_OF_STOCK_POLICY_BY_PHARMACY: JSON.stringify({
          'ph-served': 'cancel',
          'ph-typo': 'cancel',
        }),
      }),
      undefined,
      { schema, startJobs: false },
    );
    await expect(start).rejects.toBeInstanceOf(RxscaleSourceError);
    await expect(start).rejects.toMatchObject({
      code: 'pharmacy_without_source',
      message:
        'no RxScale source for pharmacy "ph-typo" (named in ORDERS_OUT_OF_STOCK_POLICY_BY_PHARMACY): add it to one source\'s pharmacies in RXSCALE_SOURCES',
    });
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const found = await db.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
        schema,
      ]);
      expect(found.rowCount).toBe(0);
    } finally {
      await db.end();
    }
  });

  it('accepts a policy for a pharmacy a single group key serves (it serves every pharmacy)', async () => {
    // the group key without a list serves any pharmacy: the check passes; the failure that follows is the
    // closed database, which shows the start got past the check
    const start = createOrderServiceApp(
      config({
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/rxbridge',
        RXSCALE_SOURCES: JSON.stringify({
          chain: {
            baseUrl: 'http://127.0.0.1:4010',
            apiKey: 'rxs_startup_test_key_0123456789',
            scope: 'group',
          },
        }),
        ORDERS_OUT_OF_STOCK_POLICY_BY_PHARMACY: JSON.stringify({ 'ph-any': 'cancel' }),
      }),
      undefined,
      { startJobs: false },
    );
    await expect(start).rejects.not.toBeInstanceOf(RxscaleSourceError);
    await expect(start).rejects.toThrow(/ECONNREFUSED/);
  });
});
