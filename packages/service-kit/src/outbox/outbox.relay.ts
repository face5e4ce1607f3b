import { Kafka, logLevel, type KafkaConfig, type Producer, type TopicMessages } from 'kafkajs';
import { type DataSource, type QueryRunner } from 'typeorm';
import { backoffDelay, describeFailure, type BackoffPolicy } from '../kafka/failure.js';
import {
  safely,
  silentLogger,
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
  private readonly producer: Producer;
  private readonly wakeup = new Wakeup();
  private readonly listener: NotificationListener;
  private readonly log: PlumbingLogger;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly batchSize: number;
  private readonly backoff: BackoffPolicy;
  private consecutiveFailures = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    const kafka = new Kafka({ logLevel: logLevel.WARN, ...options.kafka });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.log = options.logger ?? silentLogger;
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

  /** Claims, publishes and marks one batch. Returns how many rows it settled (published or deferred). */
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
      const ids = rows.map((r) => r.id);
      try {
        await this.producer.sendBatch({ acks: -1, topicMessages: toTopicMessages(rows) });
      } catch (error) {
        const description = describeFailure(error);
        const attempts = (await runner.query(
          `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::bigint[]) RETURNING attempts`,
          [ids, description],
        )) as [{ attempts: number }[], number];
        const attempt = Math.max(1, ...attempts[0].map((a) => a.attempts));
        await runner.query(
          `UPDATE outbox SET next_attempt_at = clock_timestamp() + $2 * interval '1 millisecond' WHERE id = ANY($1::bigint[])`,
          [ids, backoffDelay(attempt, this.backoff)],
        );
        await runner.commitTransaction();
        safely(() => this.options.observer?.outboxFailed?.({ count: rows.length, error: description }));
        this.log.warn(
          { count: rows.length, attempt, error: description },
          'outbox publish failed, will retry',
        );
        return 0;
      }
      const ackedAt = Date.now();
      await this.options.afterPublish?.(ids);
      await runner.query(
        `UPDATE outbox SET published_at = clock_timestamp(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::bigint[])`,
        [ids],
      );
      await runner.commitTransaction();
      for (const [topic, group] of groupBy(rows, (r) => r.topic)) {
        safely(() =>
          this.options.observer?.outboxPublished?.({
            topic,
            count: group.length,
            delaysMs: group.map((r) => ackedAt - r.created_at.getTime()),
          }),
        );
      }
      return rows.length;
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
    `SELECT o.id, o.topic, o.key, o.value::text AS value, o.headers, o.created_at FROM outbox o
     JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS h(topic, key, id) ON o.topic = h.topic AND o.key = h.key AND o.id >= h.id
     WHERE o.published_at IS NULL
     ORDER BY o.id LIMIT $4 FOR UPDATE OF o`,
    [heads.map((h) => h.topic), heads.map((h) => h.key), heads.map((h) => h.id), limit],
  )) as ClaimedRow[];
}

function toTopicMessages(rows: ClaimedRow[]): TopicMessages[] {
  return [...groupBy(rows, (r) => r.topic)].map(([topic, group]) => ({
    topic,
    messages: group.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
  }));
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
