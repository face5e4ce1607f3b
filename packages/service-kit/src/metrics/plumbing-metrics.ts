import { type DataSource } from 'typeorm';
import { type PlumbingObserver } from '../kafka/plumbing-observer.js';
import { readOutboxBacklog } from '../outbox/plumbing-housekeeping.js';
import { type ScrapeCollector, type ServiceMetrics } from './service-metrics.js';

/**
 * The plumbing's observer seam recorded into a service's metrics:
 * handled → records_handled{outcome=processed}, duplicate → {outcome=duplicate};
 * an in-place retry → records_retried{outcome=retry}, parked (first time or again) → {outcome=parked};
 * dead-lettered → records_dead_lettered{outcome=<error code>}; relay and command outcomes → their counters.
 */
export function plumbingMetricsObserver(metrics: ServiceMetrics): PlumbingObserver {
  return {
    recordProcessed({ group, topic, outcome, errorCode }) {
      switch (outcome) {
        case 'handled':
          metrics.recordsHandled.inc({ topic, group, outcome: 'processed' });
          break;
        case 'duplicate':
          metrics.recordsHandled.inc({ topic, group, outcome: 'duplicate' });
          break;
        case 'parked':
          metrics.recordsRetried.inc({ topic, group, outcome: 'parked' });
          break;
        case 'dead-lettered':
          metrics.recordsDeadLettered.inc({ topic, group, outcome: errorCode ?? 'unclassified' });
          break;
      }
    },
    recordRetried({ group, topic, kind }) {
      metrics.recordsRetried.inc({ topic, group, outcome: kind === 'parked' ? 'parked' : 'retry' });
    },
    outboxPublished({ topic, count }) {
      metrics.outboxPublished.inc({ topic }, count);
    },
    outboxFailed({ topic, count }) {
      metrics.outboxPublishFailures.inc({ topic: topic ?? '' }, count);
    },
    commandExecuted({ kind, outcome }) {
      metrics.rxscaleCommands.inc({ kind, outcome });
    },
  };
}

/** Every observer gets every call; one that throws does not keep the others from theirs. */
export function combineObservers(...observers: (PlumbingObserver | undefined)[]): PlumbingObserver {
  const present = observers.filter((o): o is PlumbingObserver => o !== undefined);
  const each =
    <K extends keyof PlumbingObserver>(key: K) =>
    (info: Parameters<NonNullable<PlumbingObserver[K]>>[0]): void => {
      for (const o of present) {
        try {
          (o[key] as ((i: typeof info) => void) | undefined)?.(info);
        } catch {
          // an observer failure must never change what happens to a record
        }
      }
    };
  return {
    recordProcessed: each('recordProcessed'),
    recordRetried: each('recordRetried'),
    outboxPublished: each('outboxPublished'),
    outboxFailed: each('outboxFailed'),
    commandExecuted: each('commandExecuted'),
  };
}

/**
 * Outbox backlog gauges read at scrape time (`readOutboxBacklog`, one query): `<schema>.outbox` for events,
 * `<schema>.rxscale_command` for RxScale commands, and the parked records of the schema.
 */
export function outboxBacklogCollector(dataSource: DataSource, metrics: ServiceMetrics): ScrapeCollector {
  const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  return async () => {
    const backlog = await readOutboxBacklog(dataSource);
    metrics.outboxBacklog.set({ outbox: `${schema}.outbox` }, backlog.pending);
    metrics.outboxOldestAgeSeconds.set({ outbox: `${schema}.outbox` }, backlog.oldestAgeMs / 1000);
    metrics.outboxBacklog.set({ outbox: `${schema}.rxscale_command` }, backlog.pendingCommands);
    metrics.outboxOldestAgeSeconds.set(
      { outbox: `${schema}.rxscale_command` },
      backlog.oldestCommandAgeMs / 1000,
    );
    metrics.parkedRecords.set({ schema }, backlog.parked);
  };
}

/** What the lag collector needs from the consumer runtime (PlumbingServer.readLag). */
export interface LagSource {
  readLag(): Promise<{ topic: string; partition: number; lag: number }[]>;
}

/**
 * `rxbridge_consumer_lag{topic,group,partition}` for the partitions this replica owns, read at scrape time.
 * Partitions it no longer owns (after a rebalance) lose their series, so the new owner's value is the only one.
 */
export function consumerLagCollector(
  source: LagSource,
  group: string,
  metrics: ServiceMetrics,
): ScrapeCollector {
  let reported = new Set<string>();
  return async () => {
    const lags = await source.readLag();
    const now = new Set<string>();
    for (const { topic, partition, lag } of lags) {
      metrics.consumerLag.set({ topic, group, partition: String(partition) }, lag);
      now.add(`${topic}\u0000${partition}`);
    }
    for (const old of reported) {
      if (now.has(old)) continue;
      const [topic, partition] = old.split('\u0000') as [string, string];
      metrics.consumerLag.remove({ topic, group, partition });
    }
    reported = now;
  };
}
