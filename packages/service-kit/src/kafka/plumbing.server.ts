import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { type CloudEvent } from '@rxbridge/contracts';
import { type Consumer, type EachBatchPayload, type KafkaConfig, type Kafka, type Producer } from 'kafkajs';
import { type DataSource } from 'typeorm';
import { DeadLetterPublisher } from '../dead-letters/dead-letter.publisher.js';
import { ParkedRetryLoop } from '../parked/parked-retry.loop.js';
import { ConsumerLag, type PartitionLag } from './consumer-lag.js';
import { describeFailure, ShutdownInterrupt, type BackoffPolicy } from './failure.js';
import { createKafkaClient } from './kafka-client.js';
import { type RecordInfo } from './plumbing-context.js';
import { defaultPlumbingLogger, type PlumbingLogger, type PlumbingObserver } from './plumbing-observer.js';
import { PLUMBING_TRANSPORT } from './plumbing-transport.js';
import { toReceived } from './received-record.js';
import { handlerProblems } from './record-parser.js';
import { DEDUP_KEY_HEADER, defaultDedupKey, type DedupKeyReader } from '../inbox/dedup-key.js';
import { RecordProcessor, type PrepareRun } from './record-processor.js';

export { PLUMBING_TRANSPORT, DEDUP_KEY_HEADER };

export interface PlumbingServerOptions {
  /** kafkajs client settings (brokers, clientId, ssl, sasl), passed to createKafkaClient. */
  kafka: KafkaConfig;
  /** Used exactly as given (Nest's Kafka server would append "-server"); also names `<group>.dlq`. */
  groupId: string;
  topics: string[];
  /** The service's data source (createServiceDataSource), migrated with plumbingMigrations. */
  dataSource: DataSource;
  /** Partitions handled at once by this replica; records of one partition always run one after another. */
  partitionsConsumedConcurrently?: number;
  /** Where a group with no committed offset starts. Default: the beginning, so nothing is skipped. */
  fromBeginning?: boolean;
  /**
   * Consecutive records of a partition handled in one transaction (each under a savepoint), so a busy
   * partition pays one commit per run instead of one per record. 1 = a transaction per record. Default 20.
   */
  recordsPerTransaction?: number;
  /** In-place tries of a transient failure before the record is parked. Default 3. */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  parked?: {
    /** How often due parked records are looked for. Default 1000 ms. */
    pollIntervalMs?: number;
    backoff?: BackoffPolicy;
    /** Parked tries before a still-failing record is dead-lettered. Default 10. */
    maxAttempts?: number;
  };
  /** Override how the dedup key is read; default: header or CloudEvent extension `rxscaledeliverykey`. */
  dedupKey?: DedupKeyReader;
  sessionTimeoutMs?: number;
  /** Longest fetch long-poll; a shutdown waits for the fetch in flight. Default 1000 ms. */
  maxWaitTimeMs?: number;
  observer?: PlumbingObserver;
  logger?: PlumbingLogger;
  /** Test seam: runs after a record's transaction committed and before its offset is committed. */
  afterCommit?: (record: RecordInfo, event: CloudEvent) => void | Promise<void>;
  /** See RecordProcessorSettings.prepare. */
  prepare?: PrepareRun;
}

/** A worker with the server's lifetime (see `runAlongside`). */
export interface PlumbingCompanion {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * RxBridge's Kafka transport for Nest (DESIGN.md §4): the consumer's lifecycle (connect, subscribe, the batch
 * loop, offset commits, graceful close) and the companions that share it. What happens to a record is the
 * RecordProcessor's; parked records are the ParkedRetryLoop's. Extends Nest's transport base class rather than
 * `ServerKafka`: see docs/design.md §12 "Event plumbing" for why. Handlers are `@OnEvent(type)` methods.
 */
export class PlumbingServer extends Server implements CustomTransportStrategy {
  override transportId = PLUMBING_TRANSPORT;
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly stopping = new AbortController();
  private readonly log: PlumbingLogger;
  private readonly processor: RecordProcessor;
  private readonly parked: ParkedRetryLoop;
  private readonly lag: ConsumerLag;
  private readonly deadLetters: DeadLetterPublisher;
  private parkedLoop: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private readonly groupSize: number;
  private readonly heartbeatIntervalMs: number;
  private readonly companions: PlumbingCompanion[] = [];
  private readonly startedCompanions: PlumbingCompanion[] = [];

  constructor(private readonly options: PlumbingServerOptions) {
    super();
    const problems = optionProblems(options);
    if (problems.length > 0) throw new Error(`invalid plumbing options: ${problems.join('; ')}`);
    this.log = options.logger ?? defaultPlumbingLogger(options.kafka.clientId ?? options.groupId);
    this.kafka = createKafkaClient({ ...options.kafka, logger: this.log });
    this.heartbeatIntervalMs = Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3));
    this.consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.heartbeatIntervalMs,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
    });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts the consumer after retriable crashes; a non-retriable one stops it for good
      this.log.error(
        { error: describeFailure(payload.error), restart: payload.restart },
        'Kafka consumer crashed',
      );
    });
    this.lag = new ConsumerLag(this.kafka, options.groupId, this.consumer);
    this.deadLetters = new DeadLetterPublisher(this.producer, options.groupId, this.log);
    this.groupSize = options.recordsPerTransaction ?? 20;
    const maxAttempts = options.maxAttempts ?? 3;
    const backoff = options.backoff ?? { initialMs: 200, maxMs: 5_000 };
    const parkedBackoff = options.parked?.backoff ?? { initialMs: 5_000, maxMs: 5 * 60_000 };
    const shared = {
      group: options.groupId,
      dataSource: options.dataSource,
      findHandler: (pattern: string) => this.getHandlerByPattern(pattern),
      deadLetters: this.deadLetters,
      dedupKey: options.dedupKey ?? defaultDedupKey,
      log: this.log,
      signal: this.stopping.signal,
      ...(options.observer ? { observer: options.observer } : {}),
    };
    this.processor = new RecordProcessor({
      ...shared,
      recordsPerTransaction: this.groupSize,
      maxAttempts,
      backoff,
      parkedBackoff,
      ...(options.afterCommit ? { afterCommit: options.afterCommit } : {}),
      ...(options.prepare ? { prepare: options.prepare } : {}),
    });
    this.parked = new ParkedRetryLoop({
      ...shared,
      pollIntervalMs: options.parked?.pollIntervalMs ?? 1_000,
      backoff: parkedBackoff,
      maxAttempts: options.parked?.maxAttempts ?? 10,
      inPlaceAttempts: maxAttempts,
    });
  }

  get deadLetterTopic(): string {
    return this.deadLetters.topic;
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Starts consuming without Nest (benchmarks, scripts); Nest calls `listen`. */
  async start(): Promise<void> {
    const problems = handlerProblems(this.messageHandlers, this.options.topics);
    if (problems.length > 0) throw new Error(`invalid plumbing handlers: ${problems.join('; ')}`);
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.consumeBatch(payload),
    });
    this.parkedLoop = this.parked.run();
    for (const companion of this.companions) {
      await companion.start();
      this.startedCompanions.push(companion);
    }
  }

  /**
   * Something that runs while the server does (the outbox and command relays): started after the consumer,
   * stopped after it has left the group, so what the last records enqueued is still published.
   */
  runAlongside(companion: PlumbingCompanion): void {
    this.companions.push(companion);
  }

  /** Lag of the partitions assigned to this member (see ConsumerLag). */
  readLag(): Promise<PartitionLag[]> {
    return this.lag.read();
  }

  /** Retries the oldest due parked record of one key (see ParkedRetryLoop.retryOne); for tests and scripts. */
  retryOneParked(): Promise<boolean> {
    return this.parked.retryOne();
  }

  /** Stop fetching, finish the record in flight, commit, leave the group, close. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping.abort();
      // disconnect waits for the running batches, which stop after their current record and commit
      await this.consumer.disconnect();
      await this.parkedLoop;
      await this.producer.disconnect();
      for (const companion of this.startedCompanions.reverse()) {
        await companion
          .stop()
          .catch((error: unknown) =>
            this.log.error({ error: describeFailure(error) }, 'stopping a companion of the plumbing failed'),
          );
      }
      await this.lag.close();
    })();
    return this.closed;
  }

  on(): void {
    throw new Error('PlumbingServer emits no events');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  private async consumeBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const records = batch.messages.map((m) => toReceived(batch.topic, batch.partition, m));
    let handled: string | undefined;
    let lastCommit = Date.now();
    // kafkajs heartbeats only when asked to: a handler waiting longer than the session (for RxScale's rate
    // budget, or a retry's backoff) would be dropped from the group and its partition read again elsewhere.
    const keepAlive = setInterval(() => {
      payload.heartbeat().catch((error: unknown) => {
        // a rebalance under way: the batch sees isStale() after its current record and stops
        this.log.warn({ error: describeFailure(error) }, 'heartbeat during a long record failed');
      });
    }, this.heartbeatIntervalMs);
    try {
      for (let i = 0; i < records.length;) {
        if (!payload.isRunning() || payload.isStale() || this.stopping.signal.aborted) break;
        // Fast path: a run of records in one transaction. The first record it cannot settle (poison,
        // failure) takes the careful path alone: retries, parking, dead letter.
        let settled = await this.processor.processRun(records.slice(i, i + this.groupSize));
        if (settled === 0) {
          try {
            await this.processor.processCarefully(records[i]!);
          } catch (error) {
            if (error instanceof ShutdownInterrupt) break;
            throw error;
          }
          settled = 1;
        }
        for (const record of records.slice(i, i + settled)) payload.resolveOffset(record.offset);
        i += settled;
        handled = records[i - 1]!.offset;
        await payload.heartbeat();
        if (Date.now() - lastCommit > 1_000) {
          await this.commit(batch.topic, batch.partition, handled);
          lastCommit = Date.now();
        }
      }
    } finally {
      clearInterval(keepAlive);
      // The offset follows the transaction: only records whose effects committed are acknowledged.
      if (handled !== undefined) await this.commit(batch.topic, batch.partition, handled);
    }
  }

  private async commit(topic: string, partition: number, offset: string): Promise<void> {
    try {
      await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }]);
    } catch (error) {
      // After a rebalance the new owner re-reads from the last commit; the inbox makes that a no-op.
      this.log.warn({ topic, partition, offset, error: describeFailure(error) }, 'offset commit failed');
    }
  }
}

function optionProblems(options: PlumbingServerOptions): string[] {
  return [
    !/^[a-zA-Z0-9._-]{1,200}$/.test(options.groupId) && 'groupId must be a plain Kafka name',
    options.topics.length === 0 && 'topics must name at least one topic',
    !isPositiveInteger(options.recordsPerTransaction ?? 1) &&
      'recordsPerTransaction must be a positive integer',
    !isPositiveInteger(options.maxAttempts ?? 1) && 'maxAttempts must be a positive integer',
    !isPositiveInteger(options.partitionsConsumedConcurrently ?? 1) &&
      'partitionsConsumedConcurrently must be a positive integer',
    !isPositiveInteger(options.parked?.maxAttempts ?? 1) && 'parked.maxAttempts must be a positive integer',
  ].filter((p): p is string => typeof p === 'string');
}

function isPositiveInteger(n: number): boolean {
  return Number.isInteger(n) && n >= 1;
}
