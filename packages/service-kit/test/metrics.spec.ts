import { NestFactory } from '@nestjs/core';
import { MetricsController, MetricsModule, ServiceMetrics } from '../src/index.js';

describe(ServiceMetrics.name, () => {
  it('renders every metric of issue 4 with its labels, plus process metrics', async () => {
    const metrics = new ServiceMetrics({ service: 'order-service' });
    const labels = { topic: 'rxscale.pharmacy-orders.v1', group: 'order-service', outcome: 'processed' };
    metrics.recordsHandled.inc(labels);
    metrics.recordsHandled.inc(labels);
    metrics.recordsRetried.inc({ ...labels, outcome: 'retry' });
    metrics.recordsDeadLettered.inc({ ...labels, outcome: 'invalid_event' });
    metrics.consumerLag.set({ topic: labels.topic, group: labels.group, partition: '3' }, 17);
    metrics.outboxBacklog.set({ outbox: 'orders.outbox' }, 5);
    metrics.outboxOldestAgeSeconds.set({ outbox: 'orders.outbox' }, 1.5);
    metrics.observeRxScaleCall({
      operation: 'update_status',
      status: 200,
      pharmacy: 'ph-7q2lnd',
      durationSeconds: 0.12,
    });
    metrics.observeRxScaleCall({ operation: 'update_status', status: 'timeout', durationSeconds: 10 });

    const { contentType, body } = await metrics.render();
    expect(contentType).toContain('text/plain');
    const expected = [
      'rxbridge_records_handled_total{topic="rxscale.pharmacy-orders.v1",group="order-service",outcome="processed",service="order-service"} 2',
      'rxbridge_records_retried_total{topic="rxscale.pharmacy-orders.v1",group="order-service",outcome="retry",service="order-service"} 1',
      'rxbridge_records_dead_lettered_total{topic="rxscale.pharmacy-orders.v1",group="order-service",outcome="invalid_event",service="order-service"} 1',
      'rxbridge_consumer_lag{topic="rxscale.pharmacy-orders.v1",group="order-service",partition="3",service="order-service"} 17',
      'rxbridge_outbox_backlog{outbox="orders.outbox",service="order-service"} 5',
      'rxbridge_outbox_oldest_age_seconds{outbox="orders.outbox",service="order-service"} 1.5',
      'rxbridge_rxscale_calls_total{operation="update_status",status="200",pharmacy="ph-7q2lnd",service="order-service"} 1',
      'rxbridge_rxscale_call_duration_seconds_bucket{le="0.25",service="order-service",operation="update_status",status="200"} 1',
      'rxbridge_rxscale_call_duration_seconds_count{service="order-service",operation="update_status",status="timeout"} 1',
    ];
    for (const line of expected) expect(body.split('\n')).toContain(line);
    expect(body).toContain('process_cpu_user_seconds_total');
    expect(body).toContain('nodejs_eventloop_lag_seconds');
  });

  it('keeps registries apart, so two services (or tests) in one process do not collide', async () => {
    const a = new ServiceMetrics({ service: 'a', defaultMetrics: false });
    const b = new ServiceMetrics({ service: 'b', defaultMetrics: false });
    a.outboxBacklog.set({ outbox: 'x' }, 1);
    expect((await b.render()).body).not.toContain('outbox="x"');
    expect((await a.render()).body).not.toContain('process_cpu');
  });

  it('serves /metrics through MetricsModule and shares the instance with the rest of the app', async () => {
    const metrics = new ServiceMetrics({ service: 'inventory-service', defaultMetrics: false });
    const app = await NestFactory.createApplicationContext(MetricsModule.forRoot(metrics), { logger: false });
    try {
      expect(app.get(ServiceMetrics)).toBe(metrics);
      metrics.recordsHandled.inc({ topic: 't', group: 'g', outcome: 'duplicate' });
      const body = await app.get(MetricsController).scrape();
      expect(body).toContain(
        'rxbridge_records_handled_total{topic="t",group="g",outcome="duplicate",service="inventory-service"} 1',
      );
    } finally {
      await app.close();
    }
  });
});
