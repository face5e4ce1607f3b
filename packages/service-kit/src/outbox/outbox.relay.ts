import { CLOUDEVENTS_JSON_CONTENT_TYPE, EventHeaders } from '@rxbridge/contracts';
import { type Kafka, type KafkaConfig, type Producer } from 'kafkajs';
import { createKafkaClient } from '../kafka/kafka-client.js';
import { type DataSource, type QueryRunner } from 'typeorm';
import { backoffDelay, describeFailure, type BackoffPolicy } from '../kafka/failure.js';
import {
  safely,
  defaultPlumbingLogger,
  type PlumbingLogger,
  type PlumbingObserver,
} from '../kafka/plumbing-observer.js';
import { OUTBOX_CHANNEL } from './outbox.migration.js';
import { NotificationListener, Wakeup } from './notification-listener.js';

export interface OutboxRelayOptions {
  dataSource: DataSource;
  kafka: KafkaConfig;
  /** Connection for LISTEN; default: the data source's url. */
  listenUrl?: string;
  /** Rows per claim. Default 500. */
  batchSize?: number;
  /** Fallback poll when no notification arrives. Default 5000 ms. */
  pollIntervalMs?: number;
  backoff?: BackoffPolicy;
  observer?: PlumbingObserver;
  logger?: PlumbingLogger;
  /** Test seam: runs after Kafka acknowledged a batch and before the rows are marked published. */
  afterPublish?: (ids: string[]) => void | Promise<void>;
}

interface ClaimedRow {
  id: string;
  topic: string;
  key: string;
  value: string;
  event_id: string;
  event_type: string;
  headers: Record<string, string>;
  created_at: Date;
}

/**
 * Publishes outbox rows to Kafka (DESIGN.md §4). Order per key: only the oldest unpublished row of a
 * (topic, key) can be claimed, and it is claimed together with the rows queued behind it. Replicas: the
 * head is locked with SKIP LOCKED, and while it is locked its followers are not heads for anyone else.
 * At least once: a crash after Kafka's ack and before the mark republishes the batch; consumers drop the
 * copies by CloudEvent id in their inbox.
 */
export class OutboxRelay {
  private producer: Producer;
  private readonly kafka: Kafka;
  private readonly wakeup = new Wakeup();
  private readonly listener: NotificationListener;
  private readonly log: PlumbingLogger;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly batchSize: number;
  private readonly backoff: BackoffPolicy;
  private consecutiveFailures = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.log = options.logger ?? defaultPlumbingLogger(options.kafka.clientId ?? 'outbox-relay');
    this.kafka = createKafkaClient({ ...options.kafka, logger: this.log });
    this.producer = this.newProducer();
    this.batchSize = options.batchSize ?? 500;
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 30_000 };
    const schema = schemaOf(options.dataSource);
    const url = options.listenUrl ?? (options.dataSource.options as { url?: string }).url;
    if (!url) throw new Error('the outbox relay needs listenUrl or a data source with a url');
    this.listener = new NotificationListener(
      url,
      OUTBOX_CHANNEL,
      schema,
      () => this.wakeup.notify(),
      this.log,
    );
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.listener.start();
    this.running = true;
    this.loop = this.run();
  }

  /** Finishes the batch in flight, then stops. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeup.notify();
    await this.loop;
    await this.listener.stop();
    await this.producer.disconnect();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published: number;
      try {
        published = await this.relayBatch();
        this.consecutiveFailures = 0;
      } catch (error) {
        this.consecutiveFailures++;
        this.log.error({ error: describeFailure(error) }, 'outbox relay step failed');
        await this.wakeup.wait(backoffDelay(this.consecutiveFailures, this.backoff));
        continue;
      }
      if (published === 0) await this.wakeup.wait(this.options.pollIntervalMs ?? 5_000);
    }
  }

  private newProducer(): Producer {
    return this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  /**
   * kafkajs keeps refreshing metadata for every topic a producer ever sent to, so one missing topic would
   * fail every later send; a fresh producer forgets it.
   */
  private async resetProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.newProducer();
    await old.disconnect().catch(() => undefined);
    await this.producer.connect();
  }

  /** Claims, publishes and marks one batch. Returns how many rows it published. */
  async relayBatch(): Promise<number> {
    const runner = this.options.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const rows = await claim(runner, this.batchSize);
      if (rows.length === 0) {
        await runner.commitTransaction();
        return 0;
      }
      // One send per topic, so a topic Kafka refuses (missing, unauthorised) holds back only its own rows.
      const published: ClaimedRow[] = [];
      const failed: { rows: ClaimedRow[]; error: string }[] = [];
      for (const [topic, group] of groupBy(rows, (r) => r.topic)) {
        try {
          await this.producer.send({
            topic,
            acks: -1,
            messages: group.map((r) => ({ key: r.key, value: r.value, headers: recordHeaders(r) })),
          });
          published.push(...group);
        } catch (error) {
          failed.push({ rows: group, error: describeFailure(error) });
        }
      }
      const ackedAt = Date.now();
      if (published.length > 0) {
        await this.options.afterPublish?.(published.map((r) => r.id));
        await runner.query(
          `UPDATE outbox SET published_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::bigint[])`,
          [published.map((r) => r.id)],
        );
      }
      for (const { rows: group, error } of failed) {
        const [updated] = (await runner.query(
          `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[]) RETURNING attempts`,
          [group.map((r) => r.id), error],
        )) as [{ attempts: number }[], number];
        const attempt = Math.max(1, ...updated.map((a) => a.attempts));
        await runner.query(
          `UPDATE outbox SET next_attempt_at = clock_timestamp() + $2 * interval '1 millisecond' WHERE id = ANY($1::bigint[])`,
          [group.map((r) => r.id), backoffDelay(attempt, this.backoff)],
        );
        safely(() =>
          this.options.observer?.outboxFailed?.({ count: group.length, error, topic: group[0]!.topic }),
        );
        this.log.warn(
          { topic: group[0]!.topic, count: group.length, attempt, error },
          'outbox publish failed, will retry',
        );
      }
      await runner.commitTransaction();
      for (const [topic, group] of groupBy(published, (r) => r.topic)) {
        safely(() =>
          this.options.observer?.outboxPublished?.({
            topic,
            count: group.length,
            delaysMs: group.map((r) => ackedAt - r.created_at.getTime()),
            eventIds: group.map((r) => r.event_id),
            ackedAt,
          }),
        );
      }
      if (failed.length > 0) await this.resetProducer();
      return published.length;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}

async function claim(runner: QueryRunner, limit: number): Promise<ClaimedRow[]> {
  const heads = (await runner.query(
    `SELECT o.id, o.topic, o.key FROM outbox o
     WHERE o.published_at IS NULL AND o.next_attempt_at <= clock_timestamp()
       AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.published_at IS NULL AND p.topic = o.topic AND p.key = o.key AND p.id < o.id)
     ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  )) as { id: string; topic: string; key: string }[];
  if (heads.length === 0) return [];
  // The rows behind each locked head are no one else's heads until this transaction ends.
  return (await runner.query(
    `SELECT o.id, o.topic, o.key, o.value::text AS value, o.value->>'id' AS event_id, o.value->>'type' AS event_type, o.headers, o.created_at FROM outbox o
     JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS h(topic, key, id) ON o.topic = h.topic AND o.key = h.key AND o.id >= h.id
     WHERE o.published_at IS NULL
     ORDER BY o.id LIMIT $4 FOR UPDATE OF o`,
    [heads.map((h) => h.topic), heads.map((h) => h.key), heads.map((h) => h.id), limit],
  )) as ClaimedRow[];
}

/**
 * The value is a CloudEvent in structured mode (DESIGN.md §3), and the headers say so as the gateway's do:
 * `content-type` for CloudEvents SDKs, `ce_type` to route without parsing. They are the relay's to set, so
 * they win over stored headers.
 */
function recordHeaders(row: ClaimedRow): Record<string, string> {
  return {
    ...row.headers,
    [EventHeaders.contentType]: CLOUDEVENTS_JSON_CONTENT_TYPE,
    [EventHeaders.eventType]: row.event_type,
  };
}

function groupBy<T>(items: T[], by: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = by(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

export function schemaOf(dataSource: DataSource): string {
  const schema = (dataSource.options as { schema?: string }).schema;
  if (!schema) throw new Error('the data source names no schema');
  return schema;
}
