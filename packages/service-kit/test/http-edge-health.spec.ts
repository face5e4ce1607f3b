import { createServer, type Socket } from 'node:net';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { brokers, freePort } from '@rxbridge/testing';
import { sandboxAdminOk, startTestSandbox } from '@rxbridge/testing/sandbox';
import pg from 'pg';
import {
  databaseHealthCheck,
  kafkaHealthCheck,
  rxscaleReachabilityCheck,
  type HealthCheck,
} from '../src/index.js';
import { startEdgeTestApp } from './support/edge-test-app.js';

interface TerminusReport {
  status: 'ok' | 'error';
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; message?: string }>;
  details?: Record<string, { status: string; critical?: boolean; message?: string }>;
}

describe('HTTP edge: /health/live and /health/ready (terminus)', () => {
  const kafka = kafkaHealthCheck({ brokers, clientId: 'edge-health-test' }, { timeoutMs: 3000 });
  const unreachable = new pg.Pool({
    connectionString: 'postgres://app:hunter2@127.0.0.1:1/rxbridge',
    max: 1,
  });
  unreachable.on('error', () => undefined);
  afterAll(async () => {
    await kafka.close();
    await unreachable.end();
  });

  it('is ready when the database, Kafka and the injected RxScale check answer', async () => {
    let rxscaleCalls = 0;
    const rxscale: HealthCheck = {
      name: 'rxscale',
      check: () => {
        rxscaleCalls++;
        return Promise.resolve();
      },
    };
    const edge = await startEdgeTestApp();
    const ready = await startEdgeTestApp({
      healthChecks: [databaseHealthCheck(edge.dataSource), kafka, rxscale],
    });
    try {
      const res = await fetch(`${ready.url}/health/ready`);
      expect(res.status).toBe(200);
      const report = (await res.json()) as TerminusReport;
      expect(report.status).toBe('ok');
      expect(Object.keys(report.info ?? {}).sort()).toEqual(['database', 'kafka', 'rxscale', 'shutdown']);
      expect(rxscaleCalls).toBe(1);
      expect((await fetch(`${ready.url}/health/live`)).status).toBe(200);
    } finally {
      await ready.close();
      await edge.close();
    }
  });

  it('answers 503 naming the unreachable dependency, without its password, while live stays 200', async () => {
    const edge = await startEdgeTestApp({
      healthChecks: [databaseHealthCheck(unreachable, { timeoutMs: 1500 }), kafka],
    });
    try {
      const res = await fetch(`${edge.url}/health/ready`);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).not.toContain('hunter2');
      const report = JSON.parse(text) as TerminusReport;
      expect(Object.keys(report.error ?? {})).toEqual(['database']);
      expect(report.info?.kafka?.status).toBe('up');
      expect((await fetch(`${edge.url}/health/live`)).status).toBe(200);
    } finally {
      await edge.close();
    }
  });

  it('answers ready 503 during the shutdown delay while still serving, then stops accepting', async () => {
    const edge = await startEdgeTestApp({ env: { HTTP_SHUTDOWN_DELAY_MS: '4000' } });
    expect((await fetch(`${edge.url}/health/ready`)).status).toBe(200);
    const closing = edge.app.close();
    let closed = false;
    void closing.then(() => (closed = true));
    // the shutdown has begun: ready turns 503 at once, the rest is still served
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 503; i++) ready = (await fetch(`${edge.url}/health/ready`)).status;
    expect(ready).toBe(503);
    const report = (await (await fetch(`${edge.url}/health/ready`)).json()) as TerminusReport;
    expect(report.error?.shutdown?.message).toBe('shutting down');
    expect((await fetch(`${edge.url}/health/live`)).status).toBe(200);
    expect(closed).toBe(false);
    await closing;
    await expect(fetch(`${edge.url}/health/live`)).rejects.toThrow();
    await edge.dataSource.query(`DROP SCHEMA IF EXISTS "${edge.schema}" CASCADE`);
    await edge.dataSource.destroy();
  });

  describe('RxScale reachability (reported, not required)', () => {
    let sandbox: RunningSandbox;
    beforeAll(async () => {
      sandbox = await startTestSandbox(startSandbox, {});
    });
    afterAll(() => sandbox.close());

    const sandboxRequests = async () =>
      (
        await sandboxAdminOk<{ entries: { method: string; path: string; keyId: string | null }[] }>(
          sandbox,
          'GET',
          '/requests?limit=100',
        )
      ).entries;

    it('reports the sandbox up with one keyless request to its origin per cache period', async () => {
      await sandboxAdminOk(sandbox, 'POST', '/reset');
      const edge = await startEdgeTestApp({
        healthChecks: [
          kafka,
          rxscaleReachabilityCheck(
            [
              { name: 'chain', baseUrl: sandbox.apiUrl() },
              { name: 'solo', baseUrl: sandbox.apiUrl('/v1/external_pharmacy_api') },
            ],
            { cacheMs: 60_000 },
          ),
        ],
      });
      try {
        for (let i = 0; i < 3; i++) {
          const res = await fetch(`${edge.url}/health/ready`);
          expect(res.status).toBe(200);
          const report = (await res.json()) as TerminusReport;
          expect(report.status).toBe('ok');
          expect(report.details?.rxscale).toMatchObject({ status: 'up', critical: false });
          expect(report.info?.rxscale?.status).toBe('up');
        }
        // two sources on one origin, three probes: one HEAD to "/", no key, no API endpoint
        expect(await sandboxRequests()).toEqual([
          expect.objectContaining({ method: 'HEAD', path: '/', keyId: null }),
        ]);
      } finally {
        await edge.close();
      }
    });

    it('reports a closed port down, naming the source, and stays ready (200)', async () => {
      const port = await freePort();
      const edge = await startEdgeTestApp({
        healthChecks: [
          kafka,
          rxscaleReachabilityCheck([
            { name: 'chain', baseUrl: `http://127.0.0.1:${port}/v1/external-pharmacy-api-v1` },
          ]),
        ],
      });
      try {
        const res = await fetch(`${edge.url}/health/ready`);
        expect(res.status).toBe(200);
        const report = (await res.json()) as TerminusReport;
        expect(report.status).toBe('ok');
        expect(report.details?.rxscale).toMatchObject({ status: 'down', critical: false });
        expect(report.details?.rxscale?.message).toBe(
          `RxScale unreachable: source chain (http://127.0.0.1:${port}): ECONNREFUSED`,
        );
        expect(report.info?.rxscale).toBeUndefined();
        expect(report.error?.rxscale).toBeUndefined();
        expect(report.info?.kafka?.status).toBe('up');
      } finally {
        await edge.close();
      }
    });

    it('counts a server that never answers as down after the timeout; critical: true fails readiness', async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as { port: number };
      const edge = await startEdgeTestApp({
        healthChecks: [
          rxscaleReachabilityCheck([{ name: 'chain', baseUrl: `http://127.0.0.1:${port}` }], {
            timeoutMs: 300,
            critical: true,
          }),
        ],
      });
      try {
        const res = await fetch(`${edge.url}/health/ready`);
        expect(res.status).toBe(503);
        const report = (await res.json()) as TerminusReport;
        expect(report.error?.rxscale?.message).toBe(
          `RxScale unreachable: source chain (http://127.0.0.1:${port}): no answer within 300 ms`,
        );
      } finally {
        await edge.close();
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });
});
