import { NestFactory } from '@nestjs/core';
import { ServiceUnavailableException } from '@nestjs/common';
import pg from 'pg';
import {
  checkReadiness,
  databaseHealthCheck,
  HealthController,
  HealthModule,
  kafkaHealthCheck,
  type HealthCheck,
} from '../src/index.js';
import { brokers, databaseUrl } from '@rxbridge/testing';

describe('health', () => {
  const pools: pg.Pool[] = [];
  const closers: (() => Promise<void>)[] = [];
  const pool = (url: string) => {
    const p = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 1000 });
    p.on('error', () => undefined);
    pools.push(p);
    return p;
  };
  const kafkaCheck = (brokers: string[]) => {
    const c = kafkaHealthCheck({ brokers, clientId: `health-test-${process.pid}` }, { timeoutMs: 1500 });
    closers.push(c.close);
    return c;
  };

  afterAll(async () => {
    await Promise.all(closers.map((c) => c()));
    await Promise.all(pools.map((p) => p.end()));
  });

  it('is ready when the real database and Kafka answer', async () => {
    const report = await checkReadiness([databaseHealthCheck(pool(databaseUrl)), kafkaCheck(brokers)]);
    expect(report.status).toBe('ok');
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['database', true],
      ['kafka', true],
    ]);
  });

  it('stays ready when only a check marked critical: false fails, and reports it', async () => {
    const report = await checkReadiness([
      databaseHealthCheck(pool(databaseUrl)),
      { name: 'rxscale', critical: false, check: () => Promise.reject(new Error('ECONNREFUSED')) },
    ]);
    expect(report.status).toBe('ok');
    expect(report.checks.map((c) => [c.name, c.ok, c.critical])).toEqual([
      ['database', true, true],
      ['rxscale', false, false],
    ]);
  });

  it('keeps working across repeated checks on one admin client', async () => {
    const check = kafkaCheck(brokers);
    for (let i = 0; i < 3; i++) await expect(check.check()).resolves.toBeUndefined();
  });

  it('names the database when it is unreachable, without its password', async () => {
    const report = await checkReadiness([
      databaseHealthCheck(pool('postgres://app:hunter2@127.0.0.1:1/rxbridge')),
      kafkaCheck(brokers),
    ]);
    expect(report.status).toBe('unavailable');
    const db = report.checks.find((c) => c.name === 'database')!;
    expect(db.ok).toBe(false);
    expect(db.error).toBeTruthy();
    expect(JSON.stringify(report)).not.toContain('hunter2');
    expect(report.checks.find((c) => c.name === 'kafka')!.ok).toBe(true);
  });

  it('names Kafka when the broker is unreachable', async () => {
    const report = await checkReadiness([
      databaseHealthCheck(pool(databaseUrl)),
      kafkaCheck(['127.0.0.1:1']),
    ]);
    expect(report.status).toBe('unavailable');
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['database', true],
      ['kafka', false],
    ]);
    expect(report.checks[1]!.error).toBeTruthy();
  });

  it('fails a check that does not answer within its timeout', async () => {
    const hanging = { query: () => new Promise<never>(() => undefined) };
    const report = await checkReadiness([databaseHealthCheck(hanging, { timeoutMs: 50 })]);
    expect(report.checks[0]).toMatchObject({ name: 'database', ok: false, error: 'no answer within 50 ms' });
  });

  describe(HealthModule.name, () => {
    async function controllerWith(checks: HealthCheck[]) {
      const app = await NestFactory.createApplicationContext(HealthModule.forRoot(checks), { logger: false });
      closers.push(() => app.close());
      return app.get(HealthController);
    }

    it('answers live without checking anything, and ready with the report', async () => {
      const controller = await controllerWith([databaseHealthCheck(pool(databaseUrl)), kafkaCheck(brokers)]);
      expect(controller.live()).toEqual({ status: 'ok' });
      await expect(controller.ready()).resolves.toMatchObject({ status: 'ok' });
    });

    it('answers ready with 503 naming the failed check', async () => {
      const controller = await controllerWith([
        databaseHealthCheck(pool(databaseUrl)),
        kafkaCheck(['127.0.0.1:1']),
      ]);
      const error = await controller.ready().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ServiceUnavailableException);
      const http = error as ServiceUnavailableException;
      expect(http.getStatus()).toBe(503);
      expect(http.getResponse()).toMatchObject({
        status: 'unavailable',
        checks: [
          { name: 'database', ok: true },
          { name: 'kafka', ok: false },
        ],
      });
    });

    it('builds its checks from a factory with injected dependencies', async () => {
      const app = await NestFactory.createApplicationContext(
        HealthModule.forRoot({ useFactory: () => [databaseHealthCheck(pool(databaseUrl))] }),
        { logger: false },
      );
      closers.push(() => app.close());
      await expect(app.get(HealthController).ready()).resolves.toMatchObject({ status: 'ok' });
    });
  });
});
