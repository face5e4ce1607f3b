import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { createTestDatabase, freePort, type TestDatabase } from '@rxbridge/testing';
import { sandboxAdminOk } from '@rxbridge/testing/sandbox';
import pg from 'pg';
import { KAFKA_BROKERS, parseJson, runCli } from './support/run-cli.js';

let db: TestDatabase;
let sb: RunningSandbox;
let key: string;

beforeAll(async () => {
  db = await createTestDatabase('cli_migrate');
  sb = await startSandbox({ port: 0, rateLimit: false });
  await sandboxAdminOk(sb, 'POST', '/pharmacies', { uid: 'ph-cli-h', display_name: 'Apotheke Testdorf' });
  ({ key } = await sandboxAdminOk<{ key: string }>(sb, 'POST', '/api-keys', {
    name: 'cli-health',
    pharmacy_uid: 'ph-cli-h',
    permissions: ['orders_read'],
  }));
});
afterAll(async () => {
  await sb.close();
  await db.drop();
});

async function tablesOf(schema: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      'select table_name from information_schema.tables where table_schema = $1 order by table_name',
      [schema],
    );
    return rows.map((r) => r.table_name);
  } finally {
    await client.end();
  }
}

describe('rxbridge migrate', () => {
  it('--service migrates one schema only', async () => {
    const run = await runCli(['migrate', '--service', 'shipping-service', '--json'], {
      DATABASE_URL: db.url,
    });
    expect(run.code).toBe(0);
    const report = parseJson<Record<string, { schema: string; applied: string[] }>>(run);
    expect(Object.keys(report)).toEqual(['shipping-service']);
    expect(report['shipping-service']!.applied.length).toBeGreaterThan(0);
    expect(await tablesOf('shipping')).toEqual(expect.arrayContaining(['inbox', 'outbox', 'migrations']));
    expect(await tablesOf('orders')).toEqual([]);
  });

  it("applies every service's migrations with the kit's tables, and a rerun applies none", async () => {
    const run = await runCli(['migrate', '--json'], { DATABASE_URL: db.url });
    expect(run.code).toBe(0);
    const report = parseJson<Record<string, { schema: string; applied: string[] }>>(run);
    expect(report['shipping-service']!.applied).toEqual([]);
    expect(report['order-service']!.applied).toEqual(expect.arrayContaining(['CreateOrders1791000000000']));
    for (const schema of ['orders', 'inventory', 'shipping'])
      expect(await tablesOf(schema)).toEqual(
        expect.arrayContaining(['inbox', 'outbox', 'rxscale_command', 'http_idempotency_key']),
      );
    const again = parseJson<Record<string, { applied: string[] }>>(
      await runCli(['migrate', '--json'], { DATABASE_URL: db.url }),
    );
    expect(Object.values(again).every((r) => r.applied.length === 0)).toBe(true);
  });

  it('exits 2 on an unknown service and 3 when PostgreSQL is unreachable, without the password', async () => {
    const bad = await runCli(['migrate', '--service', 'billing'], { DATABASE_URL: db.url });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('order-service, inventory-service, shipping-service');
    const port = await freePort();
    const down = await runCli(['migrate'], {
      DATABASE_URL: `postgres://ops:hunter2secret@127.0.0.1:${port}/x`,
    });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('DATABASE_URL');
    expect(down.stderr).not.toContain('hunter2secret');
  });
});

describe('rxbridge health', () => {
  const servers: Server[] = [];
  const urls: string[] = [];
  beforeAll(async () => {
    // four stand-ins for the services' readiness: the last one not ready
    for (const status of [200, 200, 200, 503]) {
      const server = createServer((req, res) => {
        res.writeHead(req.url === '/health/ready' ? status : 404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            status: status === 200 ? 'ok' : 'error',
            error: status === 200 ? {} : { database: { status: 'down' } },
          }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
  });
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });

  const env = () => ({
    RXSCALE_BASE_URL: sb.apiUrl(),
    RXSCALE_API_KEY: key,
    RXSCALE_PHARMACY_UID: 'ph-cli-h',
    KAFKA_BROKERS,
    DATABASE_URL: db.url,
    GATEWAY_URL: urls[0],
    ORDER_SERVICE_URL: urls[1],
    INVENTORY_SERVICE_URL: urls[2],
    SHIPPING_SERVICE_URL: urls[3],
  });

  it('checks RxScale, Kafka, PostgreSQL and every service; one not ready fails the run', async () => {
    const run = await runCli(['health', '--json'], env());
    expect(run.code).toBe(1);
    const { ok, checks } = parseJson<{
      ok: boolean;
      checks: { check: string; ok: boolean; detail: string }[];
    }>(run);
    expect(ok).toBe(false);
    expect(checks.map((c) => [c.check, c.ok])).toEqual([
      ['rxscale', true],
      ['kafka', true],
      ['postgres', true],
      ['gateway', true],
      ['order-service', true],
      ['inventory-service', true],
      ['shipping-service', false],
    ]);
    expect(checks.find((c) => c.check === 'shipping-service')!.detail).toContain('503');
    expect(run.stdout).not.toContain(key);
  });

  it('passes with the failing part healthy or skipped, and prints a table', async () => {
    const run = await runCli(['health'], { ...env(), SHIPPING_SERVICE_URL: urls[0] });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^check\s+status/);
    expect(run.stdout).not.toContain('FAIL');
    const skipped = parseJson<{ ok: boolean; checks: { check: string }[] }>(
      await runCli(['health', '--skip', 'services,rxscale', '--json'], env()),
    );
    expect(skipped.ok).toBe(true);
    expect(skipped.checks.map((c) => c.check)).toEqual(['kafka', 'postgres']);
  });

  it('reports unreachable Kafka, PostgreSQL, RxScale and a missing key as failed checks (exit 1)', async () => {
    const port = await freePort();
    const run = await runCli(['health', '--skip', 'services', '--json'], {
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x`,
    });
    expect(run.code).toBe(1);
    const { checks } = parseJson<{ checks: { check: string; ok: boolean; detail: string }[] }>(run);
    expect(checks.every((c) => !c.ok)).toBe(true);
    expect(checks.find((c) => c.check === 'rxscale')!.detail).toContain('RXSCALE_SOURCES');
    const down = parseJson<{ checks: { check: string; ok: boolean }[] }>(
      await runCli(['health', '--skip', 'services,kafka,postgres', '--json'], {
        ...env(),
        RXSCALE_BASE_URL: `http://127.0.0.1:${port}/v1/external-pharmacy-api-v1`,
      }),
    );
    expect(down.checks).toEqual([expect.objectContaining({ check: 'rxscale', ok: false })]);
    expect((await runCli(['health', '--skip', 'everything'], env())).code).toBe(2);
  });
});
