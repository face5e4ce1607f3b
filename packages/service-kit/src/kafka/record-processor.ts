// One file on purpose: the fast path (a run in one transaction) and the careful path (one record, savepoints,
// retry, park, dead letter) share the per-record steps and must change together; split, they drift apart.
import { type MessageHandler } from '@nestjs/microservices';
import { type CloudEvent } from '@rxbridge/contracts';
import { isObservable, lastValueFrom } from 'rxjs';
import { type DataSource, type EntityManager } from 'typeorm';
import { errorCodeOf, type DeadLetterPublisher } from '../dead-letters/dead-letter.publisher.js';
import { type DedupKeyReader } from '../inbox/dedup-key.js';
import { claimInInbox } from '../inbox/inbox.repository.js';
import { insertParked } from '../parked/parked.repository.js';
import { runWithTrace, traceFromHeaders } from '../tracing/trace-context.js';
import {
  backoffDelay,
  decideAfterFailure,
  describeFailure,
  ShutdownInterrupt,
  sleep,
  untilDone,
  type BackoffPolicy,
} from './failure.js';
import { PlumbingContext, type RecordInfo } from './plumbing-context.js';
import {
  safely,
  type PlumbingLogger,
  type PlumbingObserver,
  type RecordOutcome,
} from './plumbing-observer.js';
import { origin, type ReceivedRecord } from './received-record.js';
import { parseRecord, type HandlerLookup } from './record-parser.js';

export type PrepareRun = (events: readonly CloudEvent[]) => Promise<void>;

export interface RecordProcessorSettings {
  group: string;
  dataSource: DataSource;
  findHandler: HandlerLookup;
  deadLetters: DeadLetterPublisher;
  /** Records of a run handled in one transaction; 1 turns the fast path off. */
  recordsPerTransaction: number;
  maxAttempts: number;
  backoff: BackoffPolicy;
  /** The first parked delay. */
  parkedBackoff: BackoffPolicy;
  dedupKey: DedupKeyReader;
  log: PlumbingLogger;
  observer?: PlumbingObserver;
  afterCommit?: (record: RecordInfo, event: CloudEvent) => void | Promise<void>;
  /**
   * Runs with the events of a run before its transaction opens, so that what the handlers need from outside
   * (an RxScale read, with its rate-budget wait) is fetched concurrently and while no row is locked and no
   * connection held. It may only warm what the handlers would otherwise fetch themselves: its failures are
   * logged and the run goes on (the handler then fetches, and its failure is classified as usual).
   */
  prepare?: PrepareRun;
  /** Aborted at shutdown: backoff sleeps end and the record in hand is left uncommitted. */
  signal: AbortSignal;
}

/**
 * Settles the records of one partition (DESIGN.md §4). The fast path handles a run of consecutive records in
 * one transaction, each under a savepoint; the first record it cannot settle (not a valid event, or a failing
 * handler) takes the careful path alone: in-place retries with backoff, then parking, or the dead-letter topic
 * for permanent failures. Every effect commits with its inbox row, so a replay is a no-op.
 */
export class RecordProcessor {
  constructor(private readonly settings: RecordProcessorSettings) {}

  /**
   * Handles consecutive records in one transaction and stops at the first that is not a valid event or whose
   * handler fails (its savepoint is rolled back and the records before it commit). Returns how many records
   * from the start committed; 0 when the first needs the careful path or the transaction could not commit.
   */
  async processRun(records: ReceivedRecord[]): Promise<number> {
    const { settings } = this;
    if (settings.recordsPerTransaction <= 1) return 0;
    const started = performance.now();
    const runner = settings.dataSource.createQueryRunner();
    const settled: { info: RecordInfo; event: CloudEvent; outcome: RecordOutcome }[] = [];
    const run: Extract<ReturnType<typeof parseRecord>, { ok: true }>[] = [];
    for (const record of records) {
      const parsed = parseRecord(record, settings.findHandler);
      if (!parsed.ok) break;
      run.push(parsed);
    }
    if (settings.prepare && run.length > 0) {
      try {
        await settings.prepare(run.map((p) => p.event));
      } catch (error) {
        settings.log.warn({ error: describeFailure(error) }, 'preparing a run failed; its handlers fetch');
      }
    }
    try {
      await runner.connect();
      await runner.startTransaction();
      // one round trip per record for its savepoint: the next record's is opened as this one's is released
      await runner.query('SAVEPOINT plumbing_record');
      for (const [i, parsed] of run.entries()) {
        const record = records[i]!;
        const info = this.infoOf(record, 1);
        try {
          const outcome = await this.claimAndHandle(
            runner.manager,
            record,
            info,
            parsed.event,
            parsed.handler,
            {
              checkParked: true,
            },
          );
          await runner.query('RELEASE SAVEPOINT plumbing_record; SAVEPOINT plumbing_record');
          settled.push({ info, event: parsed.event, outcome });
        } catch {
          await runner.query('ROLLBACK TO SAVEPOINT plumbing_record');
          break;
        }
      }
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      settings.log.warn(
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
        settings.observer?.recordProcessed?.({
          group: settings.group,
          topic: info.topic,
          type: event.type,
          outcome,
          durationMs,
        }),
      );
      if (outcome === 'handled' && settings.afterCommit) await settings.afterCommit(info, event);
    }
    return settled.length;
  }

  /**
   * The careful path for one record, inside its trace scope so its retry, park and dead-letter lines carry it.
   * Throws ShutdownInterrupt when a shutdown cut it short (the record stays uncommitted).
   */
  processCarefully(record: ReceivedRecord): Promise<void> {
    return runWithTrace(traceFromHeaders(record.headers), () => this.processInScope(record));
  }

  /**
   * Inside the caller's transaction: park the record behind its key if that key has a parked record (when
   * `checkParked`), else claim the event in the inbox and, unless it was seen before, run the handler.
   */
  async claimAndHandle(
    manager: EntityManager,
    record: ReceivedRecord,
    info: RecordInfo,
    event: CloudEvent,
    handler: MessageHandler,
    mode: { checkParked: boolean },
  ): Promise<RecordOutcome> {
    const { settings } = this;
    const claim = await claimInInbox(
      manager,
      {
        eventId: event.id,
        dedupKey: settings.dedupKey(event, info.headers) ?? null,
        eventType: event.type,
        group: settings.group,
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        key: record.key,
      },
      { unlessKeyParked: mode.checkParked },
    );
    if (claim === 'waiting') {
      await insertParked(manager, {
        group: settings.group,
        record,
        eventId: event.id,
        attempts: 0,
        error: null,
        behindKey: true,
        delayMs: 0,
      });
      return 'parked';
    }
    if (claim === 'duplicate') return 'duplicate';
    await invokeHandler(handler, event, new PlumbingContext([info, manager]));
    return 'handled';
  }

  private async processInScope(record: ReceivedRecord): Promise<void> {
    const { settings } = this;
    const started = performance.now();
    const parsed = parseRecord(record, settings.findHandler);
    let result: { outcome: RecordOutcome; errorCode?: string };
    if (!parsed.ok) {
      await this.untilDone(() => settings.deadLetters.publish(record, parsed.error, 1));
      result = { outcome: 'dead-lettered', errorCode: errorCodeOf(parsed.error) };
    } else {
      result = await this.handleWithRetries(record, parsed.event, parsed.handler);
    }
    const type = parsed.ok ? parsed.event.type : undefined;
    safely(() =>
      settings.observer?.recordProcessed?.({
        group: settings.group,
        topic: record.topic,
        type,
        ...result,
        durationMs: performance.now() - started,
      }),
    );
  }

  private async handleWithRetries(
    record: ReceivedRecord,
    event: CloudEvent,
    handler: MessageHandler,
  ): Promise<{ outcome: RecordOutcome; errorCode?: string }> {
    const { settings } = this;
    for (let attempt = 1; ; attempt++) {
      try {
        return { outcome: await this.handleInTransaction(record, event, handler, attempt) };
      } catch (error) {
        const description = describeFailure(error);
        switch (decideAfterFailure(error, attempt, settings.maxAttempts)) {
          case 'dead-letter':
            await this.untilDone(() => settings.deadLetters.publish(record, error, attempt));
            return { outcome: 'dead-lettered', errorCode: errorCodeOf(error) };
          case 'park':
            await this.untilDone(() => this.park(record, event, attempt, description));
            settings.log.warn(
              { ...origin(record), attempts: attempt, error: description },
              'record parked after transient failures',
            );
            return { outcome: 'parked' };
          case 'retry':
            safely(() =>
              settings.observer?.recordRetried?.({
                group: settings.group,
                topic: record.topic,
                attempt,
                error: description,
                kind: 'in-place',
              }),
            );
            settings.log.warn(
              { ...origin(record), attempt, error: description },
              'transient failure, retrying',
            );
            await sleep(backoffDelay(attempt, settings.backoff), settings.signal);
            if (settings.signal.aborted) throw new ShutdownInterrupt();
        }
      }
    }
  }

  /** One transaction: the inbox row, the handler's writes, its outbox rows and commands. */
  private async handleInTransaction(
    record: ReceivedRecord,
    event: CloudEvent,
    handler: MessageHandler,
    attempt: number,
  ): Promise<RecordOutcome> {
    const info = this.infoOf(record, attempt);
    const outcome = await this.settings.dataSource.transaction((manager) =>
      this.claimAndHandle(manager, record, info, event, handler, { checkParked: true }),
    );
    if (outcome === 'handled' && this.settings.afterCommit) await this.settings.afterCommit(info, event);
    return outcome;
  }

  private async park(
    record: ReceivedRecord,
    event: CloudEvent,
    attempts: number,
    error: string,
  ): Promise<void> {
    const { settings } = this;
    const delayMs = backoffDelay(1, settings.parkedBackoff);
    await settings.dataSource.transaction((manager) =>
      insertParked(manager, {
        group: settings.group,
        record,
        eventId: event.id,
        attempts,
        error,
        behindKey: false,
        delayMs,
      }),
    );
  }

  private untilDone(step: () => Promise<void>): Promise<void> {
    return untilDone(step, {
      backoff: this.settings.backoff,
      signal: this.settings.signal,
      onFailure: (attempt, error) =>
        this.settings.log.error(
          { attempt, error: describeFailure(error) },
          'could not park or dead-letter a record, retrying',
        ),
    });
  }

  private infoOf(record: ReceivedRecord, attempt: number): RecordInfo {
    return { group: this.settings.group, ...record, attempt };
  }
}

/**
 * Runs a handler inside the record's trace scope: a child span of its `traceparent` (a new trace when it has
 * none) and its `correlationid`, so the handler's log lines, outbox rows and RxScale commands carry them.
 */
export async function invokeHandler(
  handler: MessageHandler,
  event: CloudEvent,
  ctx: PlumbingContext,
): Promise<void> {
  await runWithTrace(traceFromHeaders(ctx.record.headers), async () => {
    const result: unknown = await handler(event, ctx);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  });
}
