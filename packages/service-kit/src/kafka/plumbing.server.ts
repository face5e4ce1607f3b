import { CustomTransportStrategy, Server, type MessageHandler } from '@nestjs/microservices';
import { CloudEventSchema, RxScaleEventHeaders, type CloudEvent } from '@rxbridge/contracts';
import {
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type KafkaConfig,
  type KafkaMessage,
  type Producer,
} from 'kafkajs';
import { isObservable, lastValueFrom } from 'rxjs';
import { type DataSource, type EntityManager } from 'typeorm';
import {
  backoffDelay,
  classifyFailure,
  describeFailure,
  PermanentError,
  sleep,
  type BackoffPolicy,
} from './failure.js';
import { PlumbingContext, type RecordInfo } from './plumbing-context.js';
import {
  safely,
  defaultPlumbingLogger,
  type PlumbingLogger,
  type PlumbingObserver,
  type RecordOutcome,
  kafkaLogCreator,
} from './plumbing-observer.js';
import { PLUMBING_TRANSPORT } from './plumbing-transport.js';
import { runWithTrace, traceFromHeaders } from '../tracing/trace-context.js';
import { headersToStrings } from './record-headers.js';

export { PLUMBING_TRANSPORT };

/** CloudEvent extension (or header) carrying RxScale's delivery identity, the inbox's second key; the gateway's
 * `rxscale-dedup-key` header (RxScaleEventHeaders.dedupKey) is read first. */
export const DEDUP_KEY_HEADER = 'rxscaledeliverykey';

export interface PlumbingServerOptions {
  /** kafkajs client settings (brokers, clientId, ssl, sasl). */
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
  dedupKey?: (event: CloudEvent, headers: Record<string, string>) => string | undefined;
  sessionTimeoutMs?: number;
  /** Longest fetch long-poll; a shutdown waits for the fetch in flight. Default 1000 ms. */
  maxWaitTimeMs?: number;
  observer?: PlumbingObserver;
  logger?: PlumbingLogger;
  /** Test seam: runs after a record's transaction committed and before its offset is committed. */
  afterCommit?: (record: RecordInfo, event: CloudEvent) => void | Promise<void>;
}

/** A worker with the server's lifetime (see `runAlongside`). */
export interface PlumbingCompanion {
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Received {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

type Parsed = { ok: true; event: CloudEvent; handler: MessageHandler } | { ok: false; error: PermanentError };

class ShutdownInterrupt extends Error {}

/**
 * RxBridge's Kafka transport for Nest (DESIGN.md §4). Extends Nest's transport base class rather than
 * `ServerKafka`: see docs/design.md §12 "Event plumbing" for why. Handlers are ordinary
 * `@EventPattern('<cloud event type>')` (or `@EventPattern('<topic>')`) methods receiving the parsed
 * CloudEvent and a `PlumbingContext`.
 */
export class PlumbingServer extends Server implements CustomTransportStrategy {
  override transportId = PLUMBING_TRANSPORT;
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly stopping = new AbortController();
  private readonly log: PlumbingLogger;
  private parkedLoop: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly parkedPollMs: number;
  private readonly parkedBackoff: BackoffPolicy;
  private readonly parkedMaxAttempts: number;
  private readonly groupSize: number;
  /** Partitions assigned to this member at the last join; lag is reported for these only. */
  private assignment: Record<string, number[]> = {};
  private admin: Admin | undefined;
  private readonly companions: PlumbingCompanion[] = [];
  private readonly startedCompanions: PlumbingCompanion[] = [];

  constructor(private readonly options: PlumbingServerOptions) {
    super();
    const problems = [
      !/^[a-zA-Z0-9._-]{1,200}$/.test(options.groupId) && 'groupId must be a plain Kafka name',
      options.topics.length === 0 && 'topics must name at least one topic',
      !isPositiveInteger(options.recordsPerTransaction ?? 1) &&
        'recordsPerTransaction must be a positive integer',
      !isPositiveInteger(options.maxAttempts ?? 1) && 'maxAttempts must be a positive integer',
      !isPositiveInteger(options.partitionsConsumedConcurrently ?? 1) &&
        'partitionsConsumedConcurrently must be a positive integer',
      !isPositiveInteger(options.parked?.maxAttempts ?? 1) && 'parked.maxAttempts must be a positive integer',
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length > 0) throw new Error(`invalid plumbing options: ${problems.join('; ')}`);
    this.log = options.logger ?? defaultPlumbingLogger(options.kafka.clientId ?? options.groupId);
    this.kafka = new Kafka({
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.log),
      ...options.kafka,
    });
    this.consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
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
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = payload.memberAssignment;
    });
    this.consumer.on(this.consumer.events.STOP, () => {
      this.assignment = {};
    });
    this.maxAttempts = options.maxAttempts ?? 3;
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 5_000 };
    this.parkedPollMs = options.parked?.pollIntervalMs ?? 1_000;
    this.parkedBackoff = options.parked?.backoff ?? { initialMs: 5_000, maxMs: 5 * 60_000 };
    this.parkedMaxAttempts = options.parked?.maxAttempts ?? 10;
    this.groupSize = options.recordsPerTransaction ?? 20;
  }

  get deadLetterTopic(): string {
    return `${this.options.groupId}.dlq`;
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
    this.parkedLoop = this.runParkedLoop();
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

  /**
   * Lag of the partitions assigned to this member: the high watermark minus the group's committed offset
   * (the low watermark when nothing was committed yet). Asks the broker (one offset fetch for the group, one
   * per topic), so it is honest also when a partition is stuck and no batch arrives. Each replica reports
   * only its own partitions, so summing over replicas counts each partition once.
   */
  async readLag(): Promise<{ topic: string; partition: number; lag: number }[]> {
    const assigned = Object.entries(this.assignment).filter(([, partitions]) => partitions.length > 0);
    if (assigned.length === 0) return [];
    if (!this.admin) {
      const admin = this.kafka.admin({ retry: { retries: 1 } });
      await admin.connect();
      this.admin = admin;
    }
    const admin = this.admin;
    const topics = assigned.map(([topic]) => topic);
    const [committed, ...ends] = await Promise.all([
      admin.fetchOffsets({ groupId: this.options.groupId, topics }),
      ...topics.map((topic) => admin.fetchTopicOffsets(topic)),
    ]);
    const lags: { topic: string; partition: number; lag: number }[] = [];
    assigned.forEach(([topic, partitions], i) => {
      const groupOffsets = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const partition of partitions) {
        const end = ends[i]!.find((e) => e.partition === partition);
        if (!end) continue;
        const offset = groupOffsets.find((p) => p.partition === partition)?.offset;
        const from = offset !== undefined && BigInt(offset) >= 0n ? BigInt(offset) : BigInt(end.low);
        const lag = BigInt(end.high) - from;
        lags.push({ topic, partition, lag: Number(lag > 0n ? lag : 0n) });
      }
    });
    return lags;
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
      await this.admin?.disconnect().catch(() => undefined);
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
    try {
      for (let i = 0; i < records.length;) {
        if (!payload.isRunning() || payload.isStale() || this.stopping.signal.aborted) break;
        // Fast path: a run of records in one transaction. The first record it cannot settle (poison,
        // failure) takes the careful path alone: retries, parking, dead letter.
        let settled = await this.processGroup(records.slice(i, i + this.groupSize));
        if (settled === 0) {
          try {
            await this.processRecord(records[i]!);
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
      // The offset follows the transaction: only records whose effects committed are acknowledged.
      if (handled !== undefined) await this.commit(batch.topic, batch.partition, handled);
    }
  }

  /**
   * Handles consecutive records of one partition in one transaction, each under its own savepoint, and
   * stops at the first that is not a valid event or whose handler fails (its savepoint is rolled back and
   * the records before it commit). Returns how many records from the start committed; 0 when the first
   * needs the careful path or the transaction could not commit.
   */
  private async processGroup(records: Received[]): Promise<number> {
    if (this.groupSize <= 1) return 0;
    const started = performance.now();
    const runner = this.options.dataSource.createQueryRunner();
    const settled: { info: RecordInfo; event: CloudEvent; outcome: RecordOutcome }[] = [];
    try {
      await runner.connect();
      await runner.startTransaction();
      for (const record of records) {
        const parsed = this.parse(record);
        if (!parsed.ok) break;
        const info: RecordInfo = { group: this.options.groupId, ...record, attempt: 1 };
        await runner.query('SAVEPOINT plumbing_record');
        try {
          const outcome = await this.claimAndHandle(
            runner.manager,
            record,
            info,
            parsed.event,
            parsed.handler,
            true,
          );
          await runner.query('RELEASE SAVEPOINT plumbing_record');
          settled.push({ info, event: parsed.event, outcome });
        } catch {
          await runner.query('ROLLBACK TO SAVEPOINT plumbing_record');
          break;
        }
      }
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      this.log.warn(
        { records: records.length, error: describeFailure(error) },
        'batch transaction failed; handling records one by one',
      );
      return 0;
    } finally {
      await runner.release();
    }
    const durationMs = (performance.now() - started) / Math.max(1, settled.length);
    for (const { info, event, outcome } of settled) {
      safely(() =>
        this.options.observer?.recordProcessed?.({
          group: this.options.groupId,
          topic: info.topic,
          type: event.type,
          outcome,
          durationMs,
        }),
      );
      if (outcome === 'handled' && this.options.afterCommit) await this.options.afterCommit(info, event);
    }
    return settled.length;
  }

  private async commit(topic: string, partition: number, offset: string): Promise<void> {
    try {
      await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(offset) + 1n).toString() }]);
    } catch (error) {
      // After a rebalance the new owner re-reads from the last commit; the inbox makes that a no-op.
      this.log.warn({ topic, partition, offset, error: describeFailure(error) }, 'offset commit failed');
    }
  }

  private parse(record: Received): Parsed {
    if (record.value === null)
      return { ok: false, error: new PermanentError('record has no value', 'EMPTY_RECORD') };
    let json: unknown;
    try {
      json = JSON.parse(record.value.toString('utf8'));
    } catch {
      return { ok: false, error: new PermanentError('record value is not JSON', 'NOT_JSON') };
    }
    const parsed = CloudEventSchema.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      return {
        ok: false,
        error: new PermanentError(`record is not a valid CloudEvent (${fields})`, 'INVALID_CLOUD_EVENT'),
      };
    }
    const handler = this.getHandlerByPattern(parsed.data.type) ?? this.getHandlerByPattern(record.topic);
    if (!handler) {
      return {
        ok: false,
        error: new PermanentError(`no handler for event type "${parsed.data.type}"`, 'UNKNOWN_EVENT_TYPE'),
      };
    }
    return { ok: true, event: parsed.data, handler };
  }

  /** The careful path, inside the record's trace scope so its retry, park and dead-letter lines carry it. */
  private processRecord(record: Received): Promise<void> {
    return runWithTrace(traceFromHeaders(record.headers), () => this.processRecordInScope(record));
  }

  private async processRecordInScope(record: Received): Promise<void> {
    const started = performance.now();
    const parsed = this.parse(record);
    let result: { outcome: RecordOutcome; errorCode?: string };
    if (!parsed.ok) {
      await this.untilDone(() => this.deadLetter(record, parsed.error, 1));
      result = { outcome: 'dead-lettered', errorCode: errorCodeOf(parsed.error) };
    } else {
      result = await this.handleWithRetries(record, parsed.event, parsed.handler);
    }
    const type = parsed.ok ? parsed.event.type : undefined;
    safely(() =>
      this.options.observer?.recordProcessed?.({
        group: this.options.groupId,
        topic: record.topic,
        type,
        ...result,
        durationMs: performance.now() - started,
      }),
    );
  }

  private async handleWithRetries(
    record: Received,
    event: CloudEvent,
    handler: MessageHandler,
  ): Promise<{ outcome: RecordOutcome; errorCode?: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return {
          outcome: await this.handleInTransaction(record, event, handler, attempt, { checkParked: true }),
        };
      } catch (error) {
        if (classifyFailure(error) === 'permanent') {
          await this.untilDone(() => this.deadLetter(record, error, attempt));
          return { outcome: 'dead-lettered', errorCode: errorCodeOf(error) };
        }
        const description = describeFailure(error);
        if (attempt >= this.maxAttempts) {
          await this.untilDone(() => this.park(record, event, attempt, description, false));
          this.log.warn(
            { ...origin(record), attempts: attempt, error: description },
            'record parked after transient failures',
          );
          return { outcome: 'parked' };
        }
        safely(() =>
          this.options.observer?.recordRetried?.({
            group: this.options.groupId,
            topic: record.topic,
            attempt,
            error: description,
            kind: 'in-place',
          }),
        );
        this.log.warn({ ...origin(record), attempt, error: description }, 'transient failure, retrying');
        await sleep(backoffDelay(attempt, this.backoff), this.stopping.signal);
        if (this.stopping.signal.aborted) throw new ShutdownInterrupt();
      }
    }
  }

  /**
   * One transaction: the inbox row, the handler's writes, its outbox rows and commands. A record whose key
   * already has a parked record is parked behind it instead, so a key's order survives parking.
   */
  private async handleInTransaction(
    record: Received,
    event: CloudEvent,
    handler: MessageHandler,
    attempt: number,
    mode: { checkParked: boolean },
  ): Promise<RecordOutcome> {
    const info: RecordInfo = { group: this.options.groupId, ...record, attempt };
    const outcome = await this.options.dataSource.transaction((manager) =>
      this.claimAndHandle(manager, record, info, event, handler, mode.checkParked),
    );
    if (outcome === 'handled' && this.options.afterCommit) await this.options.afterCommit(info, event);
    return outcome;
  }

  /**
   * Inside the caller's transaction: park the record behind its key if that key has a parked record,
   * else claim the event in the inbox and, unless it was seen before, run the handler.
   */
  private async claimAndHandle(
    manager: EntityManager,
    record: Received,
    info: RecordInfo,
    event: CloudEvent,
    handler: MessageHandler,
    checkParked: boolean,
  ): Promise<RecordOutcome> {
    const dedupKey = (this.options.dedupKey ?? defaultDedupKey)(event, info.headers) ?? null;
    // One round trip: does the key wait behind a parked record, and if not, claim the event in the inbox.
    const [claim] = await manager.query<{ waiting: boolean; inserted: number }[]>(
      `WITH waiting AS (
         SELECT $9::boolean AND EXISTS (
           SELECT 1 FROM parked WHERE consumer_group = $4 AND topic = $5 AND record_key = $8) AS w),
       claimed AS (
         INSERT INTO inbox (event_id, dedup_key, event_type, consumer_group, topic, partition, "offset")
         SELECT $1, $2, $3, $4, $5, $6::integer, $7::bigint WHERE NOT (SELECT w FROM waiting)
         ON CONFLICT DO NOTHING RETURNING 1)
       SELECT (SELECT w FROM waiting) AS waiting, (SELECT count(*) FROM claimed)::int AS inserted`,
      [
        event.id,
        dedupKey,
        event.type,
        this.options.groupId,
        info.topic,
        info.partition,
        info.offset,
        info.key,
        checkParked,
      ],
    );
    if (claim!.waiting) {
      await insertParked(manager, this.options.groupId, record, event, 0, null, true, 0);
      return 'parked';
    }
    if (claim!.inserted === 0) return 'duplicate';
    await invokeHandler(handler, event, new PlumbingContext([info, manager]));
    return 'handled';
  }

  private async park(
    record: Received,
    event: CloudEvent,
    attempts: number,
    error: string,
    behindKey: boolean,
  ): Promise<void> {
    const delay = backoffDelay(1, this.parkedBackoff);
    await this.options.dataSource.transaction((manager) =>
      insertParked(manager, this.options.groupId, record, event, attempts, error, behindKey, delay),
    );
  }

  private async deadLetter(record: Received, error: unknown, attempts: number): Promise<void> {
    const description = describeFailure(error);
    const code = errorCodeOf(error);
    await this.producer.send({
      topic: this.deadLetterTopic,
      acks: -1,
      messages: [
        {
          key: record.key,
          value: record.value,
          headers: {
            ...record.headers,
            'dlq-error': description,
            'dlq-error-code': code,
            'dlq-attempts': String(attempts),
            'dlq-source-topic': record.topic,
            'dlq-source-partition': String(record.partition),
            'dlq-source-offset': record.offset,
            'dlq-consumer-group': this.options.groupId,
            'dlq-failed-at': new Date().toISOString(),
          },
        },
      ],
    });
    this.log.error({ ...origin(record), attempts, error: description }, 'record dead-lettered');
  }

  /** Infrastructure steps (park, dead-letter) must happen before the offset moves: retry them until shutdown. */
  private async untilDone(step: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        this.log.error(
          { attempt, error: describeFailure(error) },
          'could not park or dead-letter a record, retrying',
        );
        await sleep(backoffDelay(attempt, this.backoff), this.stopping.signal);
        if (this.stopping.signal.aborted) throw new ShutdownInterrupt();
      }
    }
  }

  private async runParkedLoop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let didWork = false;
      try {
        didWork = await this.retryOneParked();
      } catch (error) {
        if (error instanceof ShutdownInterrupt) return;
        this.log.error({ error: describeFailure(error) }, 'parked retry failed');
      }
      if (!didWork) await sleep(this.parkedPollMs, this.stopping.signal);
    }
  }

  /**
   * Retries the oldest due parked record of one key. Several replicas may run this: the head row is
   * claimed with SKIP LOCKED, and a key's later rows are not heads while it exists.
   */
  async retryOneParked(): Promise<boolean> {
    const runner = this.options.dataSource.createQueryRunner();
    await runner.connect();
    let row: ParkedRow | undefined;
    try {
      await runner.startTransaction();
      const rows = (await runner.query(
        `SELECT id, topic, partition, "offset", record_key, record_value, headers, attempts FROM parked p
         WHERE consumer_group = $1 AND next_attempt_at <= clock_timestamp()
           AND NOT EXISTS (SELECT 1 FROM parked q WHERE q.consumer_group = p.consumer_group AND q.topic = p.topic
                           AND q.record_key = p.record_key AND q.id < p.id)
         ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [this.options.groupId],
      )) as ParkedRow[];
      row = rows[0];
      if (!row) {
        await runner.commitTransaction();
        return false;
      }
      const record: Received = {
        topic: row.topic,
        partition: row.partition,
        offset: row.offset,
        key: row.record_key,
        value: row.record_value,
        headers: row.headers,
      };
      const attempt = row.attempts + 1;
      const parsed = this.parse(record);
      if (!parsed.ok) throw parsed.error;
      await runner.query('SAVEPOINT handle');
      try {
        await runner.query('DELETE FROM parked WHERE id = $1', [row.id]);
        const info: RecordInfo = { group: this.options.groupId, ...record, attempt };
        const dedupKey = (this.options.dedupKey ?? defaultDedupKey)(parsed.event, record.headers) ?? null;
        const inserted = (await runner.query(
          `INSERT INTO inbox (event_id, dedup_key, event_type, consumer_group, topic, partition, "offset")
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING event_id`,
          [
            parsed.event.id,
            dedupKey,
            parsed.event.type,
            this.options.groupId,
            record.topic,
            record.partition,
            record.offset,
          ],
        )) as unknown[];
        if (inserted.length > 0) {
          await invokeHandler(parsed.handler, parsed.event, new PlumbingContext([info, runner.manager]));
        }
        await runner.commitTransaction();
        safely(() =>
          this.options.observer?.recordProcessed?.({
            group: this.options.groupId,
            topic: record.topic,
            type: parsed.event.type,
            outcome: inserted.length > 0 ? 'handled' : 'duplicate',
            durationMs: 0,
          }),
        );
        return true;
      } catch (error) {
        await runner.query('ROLLBACK TO SAVEPOINT handle');
        const description = describeFailure(error);
        const deadLettered = classifyFailure(error) === 'permanent' || attempt >= this.parkedMaxAttempts;
        if (deadLettered) {
          await this.deadLetter(record, error, row.attempts + this.maxAttempts);
          await runner.query('DELETE FROM parked WHERE id = $1', [row.id]);
        } else {
          await runner.query(
            `UPDATE parked SET attempts = $2, last_error = $3, next_attempt_at = clock_timestamp() + $4 * interval '1 millisecond' WHERE id = $1`,
            [row.id, attempt, description, backoffDelay(attempt, this.parkedBackoff)],
          );
        }
        await runner.commitTransaction();
        safely(() =>
          deadLettered
            ? this.options.observer?.recordProcessed?.({
                group: this.options.groupId,
                topic: record.topic,
                type: parsed.event.type,
                outcome: 'dead-lettered',
                errorCode: errorCodeOf(error),
                durationMs: 0,
              })
            : this.options.observer?.recordRetried?.({
                group: this.options.groupId,
                topic: record.topic,
                attempt,
                error: description,
                kind: 'parked',
              }),
        );
        return true;
      }
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      if (row && error instanceof PermanentError) {
        // an unparseable parked row (a handler removed since): dead-letter it so it stops blocking its key
        await this.deadLetter(
          {
            topic: row.topic,
            partition: row.partition,
            offset: row.offset,
            key: row.record_key,
            value: row.record_value,
            headers: row.headers,
          },
          error,
          row.attempts,
        );
        await this.options.dataSource.query('DELETE FROM parked WHERE id = $1', [row.id]);
        return true;
      }
      throw error;
    } finally {
      await runner.release();
    }
  }
}

interface ParkedRow {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  record_key: string | null;
  record_value: Buffer | null;
  headers: Record<string, string>;
  attempts: number;
}

/**
 * Runs a handler inside the record's trace scope: a child span of its `traceparent` (a new trace when it has
 * none) and its `correlationid`, so the handler's log lines, outbox rows and RxScale commands carry them.
 */
async function invokeHandler(
  handler: MessageHandler,
  event: CloudEvent,
  ctx: PlumbingContext,
): Promise<void> {
  await runWithTrace(traceFromHeaders(ctx.record.headers), async () => {
    const result: unknown = await handler(event, ctx);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  });
}

/** The code written to `dlq-error-code` and used as the dead-letter metric's outcome label. */
function errorCodeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNCLASSIFIED';
}

function isPositiveInteger(n: number): boolean {
  return Number.isInteger(n) && n >= 1;
}

function toReceived(topic: string, partition: number, message: KafkaMessage): Received {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key === null ? null : message.key.toString('utf8'),
    value: message.value,
    headers: headersToStrings(message.headers),
  };
}

function origin(record: Received): Record<string, unknown> {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}

function defaultDedupKey(event: CloudEvent, headers: Record<string, string>): string | undefined {
  const fromHeader = headers[RxScaleEventHeaders.dedupKey] ?? headers[DEDUP_KEY_HEADER];
  if (fromHeader) return fromHeader;
  const fromEvent = (event as Record<string, unknown>)[DEDUP_KEY_HEADER];
  return typeof fromEvent === 'string' && fromEvent.length > 0 ? fromEvent : undefined;
}

async function insertParked(
  manager: EntityManager,
  group: string,
  record: Received,
  event: CloudEvent,
  attempts: number,
  error: string | null,
  behindKey: boolean,
  delayMs: number,
): Promise<void> {
  await manager.query(
    `INSERT INTO parked (consumer_group, topic, partition, "offset", record_key, record_value, headers, event_id, attempts, last_error,
                         behind_key, next_attempt_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, clock_timestamp() + $12 * interval '1 millisecond')`,
    [
      group,
      record.topic,
      record.partition,
      record.offset,
      record.key,
      record.value,
      JSON.stringify(record.headers),
      event.id,
      attempts,
      error,
      behindKey,
      delayMs,
    ],
  );
}
