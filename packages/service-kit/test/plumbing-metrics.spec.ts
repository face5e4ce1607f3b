import {
  combineObservers,
  createLogger,
  PlumbingServer,
  plumbingMetricsObserver,
  rxscaleMetricsHooks,
  ServiceMetrics,
} from '../src/index.js';
import { createTestSchema } from './support/plumbing-harness.js';

describe(rxscaleMetricsHooks.name, () => {
  // events in the shape packages/rxscale-client's executor emits from its onResponse hook, one per attempt
  const attempt = {
    requestId: 'r-1',
    method: 'PUT',
    pathTemplate: '/pharmacy_orders/{uid}/status',
    attempt: 1,
  };

  it('counts and times every attempt by operation and status, timeouts and network errors by name', async () => {
    const metrics = new ServiceMetrics({ service: 'order-service', defaultMetrics: false });
    const hooks = rxscaleMetricsHooks(metrics);
    hooks.onResponse({ ...attempt, status: 429, durationMs: 40, errorClass: 'RxScaleRateLimitError' });
    hooks.onResponse({ ...attempt, attempt: 2, status: 200, durationMs: 120, pharmacyUid: 'ph-1' });
    hooks.onResponse({ ...attempt, attempt: 3, durationMs: 10_000, errorClass: 'RxScaleTimeoutError' });
    hooks.onResponse({ ...attempt, attempt: 4, durationMs: 3, errorClass: 'RxScaleConnectionError' });
    hooks.onResponse({ ...attempt, durationMs: 1, errorClass: 'DOMException' });
    const body = (await metrics.render()).body.split('\n');
    const op = 'operation="PUT /pharmacy_orders/{uid}/status"';
    expect(body).toEqual(
      expect.arrayContaining([
        `rxbridge_rxscale_calls_total{${op},status="429",pharmacy="",service="order-service"} 1`,
        `rxbridge_rxscale_calls_total{${op},status="200",pharmacy="ph-1",service="order-service"} 1`,
        `rxbridge_rxscale_calls_total{${op},status="timeout",pharmacy="",service="order-service"} 1`,
        `rxbridge_rxscale_calls_total{${op},status="network_error",pharmacy="",service="order-service"} 1`,
        `rxbridge_rxscale_calls_total{${op},status="aborted",pharmacy="",service="order-service"} 1`,
        `rxbridge_rxscale_call_duration_seconds_sum{service="order-service",${op},status="200"} 0.12`,
      ]),
    );
  });
});

describe(combineObservers.name, () => {
  it('feeds every observer even when one throws', async () => {
    const metrics = new ServiceMetrics({ service: 's', defaultMetrics: false });
    const observer = combineObservers(
      {
        recordProcessed: () => {
          throw new Error('broken observer');
        },
      },
      undefined,
      plumbingMetricsObserver(metrics),
    );
    observer.recordProcessed?.({ group: 'g', topic: 't', outcome: 'parked', durationMs: 1 });
    observer.recordRetried?.({ group: 'g', topic: 't', attempt: 1, error: 'x', kind: 'in-place' });
    observer.recordProcessed?.({ group: 'g', topic: 't', outcome: 'dead-lettered', durationMs: 1 });
    const body = (await metrics.render()).body.split('\n');
    expect(body).toEqual(
      expect.arrayContaining([
        'rxbridge_records_retried_total{topic="t",group="g",outcome="parked",service="s"} 1',
        'rxbridge_records_retried_total{topic="t",group="g",outcome="retry",service="s"} 1',
        'rxbridge_records_dead_lettered_total{topic="t",group="g",outcome="unclassified",service="s"} 1',
      ]),
    );
  });
});

describe('scrape-time collectors', () => {
  it('still answers when a collector fails or hangs, and says which one', async () => {
    const metrics = new ServiceMetrics({ service: 's', defaultMetrics: false, collectorTimeoutMs: 200 });
    metrics.addCollector('broken', () => Promise.reject(new Error('database unreachable')));
    metrics.addCollector('hanging', () => new Promise(() => undefined));
    const remove = metrics.addCollector('fine', () => {
      metrics.parkedRecords.set({ schema: 'x' }, 2);
      return Promise.resolve();
    });
    let body = (await metrics.render()).body.split('\n');
    expect(body).toEqual(
      expect.arrayContaining([
        'rxbridge_metrics_collector_up{collector="broken",service="s"} 0',
        'rxbridge_metrics_collector_up{collector="hanging",service="s"} 0',
        'rxbridge_metrics_collector_up{collector="fine",service="s"} 1',
        'rxbridge_parked_records{schema="x",service="s"} 2',
      ]),
    );
    remove();
    body = (await metrics.render()).body.split('\n');
    expect(body.some((l) => l.includes('collector="fine"'))).toBe(false);
  });
});

describe('plumbing logging', () => {
  it('routes kafkajs’s own log lines through the service’s pino logger', async () => {
    const chunks: string[] = [];
    const logger = createLogger({
      service: 'logging-test',
      destination: { write: (c: string) => void chunks.push(c) },
    });
    const db = await createTestSchema();
    let server: PlumbingServer | undefined;
    try {
      server = new PlumbingServer({
        // nothing listens on port 1: kafkajs logs the refused connection
        kafka: {
          brokers: ['127.0.0.1:1'],
          clientId: 'logging-test',
          retry: { retries: 1, initialRetryTime: 50 },
          connectionTimeout: 500,
        },
        groupId: 'logging-test',
        topics: ['test.nothing'],
        dataSource: db.dataSource,
        logger,
      });
      await expect(server.start()).rejects.toThrow();
    } finally {
      await server?.close().catch(() => undefined);
      await db.drop();
    }
    const lines = chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const kafkaLines = lines.filter((l) => String(l.component).startsWith('kafkajs.'));
    expect(kafkaLines.length).toBeGreaterThan(0);
    for (const line of kafkaLines) expect(line).toMatchObject({ service: 'logging-test' });
    expect(kafkaLines.some((l) => l.level === 'error')).toBe(true);
    expect(JSON.stringify(kafkaLines)).toContain('ECONNREFUSED');
  });
});
