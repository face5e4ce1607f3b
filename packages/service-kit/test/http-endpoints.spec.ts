import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import pg from 'pg';
import {
  databaseHealthCheck,
  HealthModule,
  kafkaHealthCheck,
  MetricsModule,
  ServiceMetrics,
  type HealthCheck,
} from '../src/index.js';
import { brokers } from '@rxbridge/testing';
import { createTestSchema, type TestSchema } from './support/plumbing-harness.js';

/** A small Nest app on Fastify serving the kit's endpoints over real HTTP, as a service does. */
async function serve(
  metrics: ServiceMetrics,
  checks: HealthCheck[],
): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(
    {
      module: class HttpTestModule {},
      imports: [MetricsModule.forRoot(metrics), HealthModule.forRoot(checks)],
    },
    new FastifyAdapter(),
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

describe('HTTP endpoints of the kit (Fastify)', () => {
  let db: TestSchema;
  let unreachable: pg.Pool;
  const kafka = kafkaHealthCheck({ brokers, clientId: 'http-test' });
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestSchema();
    // a second data source pointing where no database listens
    unreachable = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/rxbridge', max: 1 });
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await kafka.close();
    await unreachable.end();
    await db.drop();
  });

  it('serves /metrics in the Prometheus text format, /health/live, and /health/ready when all is reachable', async () => {
    const metrics = new ServiceMetrics({ service: 'http-test', defaultMetrics: false });
    metrics.recordsHandled.inc({ topic: 't', group: 'g', outcome: 'processed' });
    const { app, url } = await serve(metrics, [databaseHealthCheck(db.dataSource), kafka]);
    apps.push(app);

    const scrape = await fetch(`${url}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    expect(await scrape.text()).toContain(
      'rxbridge_records_handled_total{topic="t",group="g",outcome="processed",service="http-test"} 1',
    );

    const live = await fetch(`${url}/health/live`);
    expect([live.status, await live.json()]).toEqual([200, { status: 'ok' }]);

    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      checks: [
        { name: 'database', ok: true },
        { name: 'kafka', ok: true },
      ],
    });
  });

  it('answers /health/ready with 503 naming the database when it is unreachable, while live stays 200', async () => {
    const metrics = new ServiceMetrics({ service: 'http-test', defaultMetrics: false });
    const { app, url } = await serve(metrics, [databaseHealthCheck(unreachable), kafka]);
    apps.push(app);

    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as {
      status: string;
      checks: { name: string; ok: boolean; error?: string }[];
    };
    expect(body.status).toBe('unavailable');
    expect(body.checks).toEqual([
      expect.objectContaining({
        name: 'database',
        ok: false,
        error: expect.stringContaining('ECONNREFUSED'),
      }),
      expect.objectContaining({ name: 'kafka', ok: true }),
    ]);
    expect(JSON.stringify(body)).not.toContain('postgres://');

    const live = await fetch(`${url}/health/live`);
    expect(live.status).toBe(200);
  });
});
