import { EventContractError } from '@rxbridge/contracts';
import { type DataSource } from 'typeorm';
import { errorCodeOf, type DeadLetterPublisher } from '../dead-letters/dead-letter.publisher.js';
import { claimInInbox } from '../inbox/inbox.repository.js';
import {
  backoffDelay,
  classifyFailure,
  describeFailure,
  ShutdownInterrupt,
  sleep,
  type BackoffPolicy,
} from '../kafka/failure.js';
import { PlumbingContext, type RecordInfo } from '../kafka/plumbing-context.js';
import { safely, type PlumbingLogger, type PlumbingObserver } from '../kafka/plumbing-observer.js';
import { type DedupKeyReader } from '../inbox/dedup-key.js';
import { invokeHandler } from '../kafka/record-processor.js';
import { parseRecord, type HandlerLookup } from '../kafka/record-parser.js';
import {
  deleteParked,
  lockDueParkedHead,
  parkedToRecord,
  rescheduleParked,
  type ParkedRow,
} from './parked.repository.js';

export interface ParkedRetrySettings {
  group: string;
  dataSource: DataSource;
  findHandler: HandlerLookup;
  deadLetters: DeadLetterPublisher;
  dedupKey: DedupKeyReader;
  /** How often due parked records are looked for when there was nothing to do. */
  pollIntervalMs: number;
  backoff: BackoffPolicy;
  /** Parked tries before a still-failing record is dead-lettered. */
  maxAttempts: number;
  /** The in-place tries a record had before it was parked, added to the dead letter's attempt count. */
  inPlaceAttempts: number;
  log: PlumbingLogger;
  observer?: PlumbingObserver;
  signal: AbortSignal;
}

/**
 * Retries parked records (DESIGN.md §4: "a retry later without blocking other keys"), oldest first and one key
 * at a time, until they succeed, fail permanently or run out of parked tries (then the dead-letter topic).
 */
export class ParkedRetryLoop {
  constructor(private readonly settings: ParkedRetrySettings) {}

  /** Runs until the signal aborts. */
  async run(): Promise<void> {
    const { settings } = this;
    while (!settings.signal.aborted) {
      let didWork = false;
      try {
        didWork = await this.retryOne();
      } catch (error) {
        if (error instanceof ShutdownInterrupt) return;
        settings.log.error({ error: describeFailure(error) }, 'parked retry failed');
      }
      if (!didWork) await sleep(settings.pollIntervalMs, settings.signal);
    }
  }

  /**
   * Retries the oldest due parked record of one key. Several replicas may run this: the head row is claimed
   * with SKIP LOCKED, and a key's later rows are not heads while it exists. Returns whether there was one.
   */
  async retryOne(): Promise<boolean> {
    const { settings } = this;
    const runner = settings.dataSource.createQueryRunner();
    await runner.connect();
    let row: ParkedRow | undefined;
    try {
      await runner.startTransaction();
      row = await lockDueParkedHead(runner.manager, settings.group);
      if (!row) {
        await runner.commitTransaction();
        return false;
      }
      const record = parkedToRecord(row);
      const attempt = row.attempts + 1;
      const parsed = parseRecord(record, settings.findHandler);
      if (!parsed.ok) throw parsed.error;
      await runner.query('SAVEPOINT handle');
      try {
        await deleteParked(runner.manager, row.id);
        const info: RecordInfo = { group: settings.group, ...record, attempt };
        const claim = await claimInInbox(
          runner.manager,
          {
            eventId: parsed.event.id,
            dedupKey: settings.dedupKey(parsed.event, record.headers) ?? null,
            eventType: parsed.event.type,
            group: settings.group,
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
            key: record.key,
          },
          { unlessKeyParked: false },
        );
        if (claim === 'claimed') {
          await invokeHandler(parsed.handler, parsed.event, new PlumbingContext([info, runner.manager]));
        }
        await runner.commitTransaction();
        safely(() =>
          settings.observer?.recordProcessed?.({
            group: settings.group,
            topic: record.topic,
            type: parsed.event.type,
            outcome: claim === 'claimed' ? 'handled' : 'duplicate',
            durationMs: 0,
          }),
        );
        return true;
      } catch (error) {
        await runner.query('ROLLBACK TO SAVEPOINT handle');
        const description = describeFailure(error);
        const deadLettered = classifyFailure(error) === 'permanent' || attempt >= settings.maxAttempts;
        if (deadLettered) {
          await settings.deadLetters.publish(record, error, row.attempts + settings.inPlaceAttempts);
          await deleteParked(runner.manager, row.id);
        } else {
          await rescheduleParked(
            runner.manager,
            row.id,
            attempt,
            description,
            backoffDelay(attempt, settings.backoff),
          );
        }
        await runner.commitTransaction();
        safely(() =>
          deadLettered
            ? settings.observer?.recordProcessed?.({
                group: settings.group,
                topic: record.topic,
                type: parsed.event.type,
                outcome: 'dead-lettered',
                errorCode: errorCodeOf(error),
                durationMs: 0,
              })
            : settings.observer?.recordRetried?.({
                group: settings.group,
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
      if (row && error instanceof EventContractError) {
        // an unparseable parked row (a handler removed since): dead-letter it so it stops blocking its key
        await settings.deadLetters.publish(parkedToRecord(row), error, row.attempts);
        await deleteParked(settings.dataSource.manager, row.id);
        return true;
      }
      throw error;
    } finally {
      await runner.release();
    }
  }
}
