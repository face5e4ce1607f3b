import type { Message, Producer, TopicMessages } from 'kafkajs';
import type { ErrorCode } from '@rxbridge/contracts';

/**
 * Gathers records from concurrent requests into one `sendBatch` (acks=all) after a short linger, so
 * throughput does not depend on one broker round trip per webhook. Each caller awaits its own record.
 *
 * One batch is in flight at a time (the idempotent producer allows one in-flight request per broker
 * anyway); records arriving meanwhile form the next batch. A caller that gives up (its budget ran out)
 * withdraws its record if the record has not been handed to Kafka yet; once handed over it may still
 * land, which is a duplicate RxScale's redelivery makes harmless, never a loss.
 */
export interface BatchObserver {
  batchSent(size: number, seconds: number): void;
  batchFailed(size: number, error: unknown): void;
}

interface Pending {
  topic: string;
  message: Message;
  bytes: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  settled: boolean;
}

export class BudgetExceededError extends Error {
  readonly code = 'produce_budget_exceeded' satisfies ErrorCode;
  constructor(budgetMs: number) {
    super(`record not acknowledged by Kafka within ${budgetMs} ms`);
    this.name = 'BudgetExceededError';
  }
}

export class ProducerClosedError extends Error {
  readonly code = 'producer_closed' satisfies ErrorCode;
  constructor() {
    super('the producer is closing; no new records are taken');
    this.name = 'ProducerClosedError';
  }
}

export interface BatchingProducerOptions {
  lingerMs: number;
  maxBatch: number;
  /**
   * Value bytes per produce call at most. The broker limits a partition's record batch (max.message.bytes,
   * 1 MiB by default) and refuses the whole call beyond it: co-batched requests must not fail for one
   * large neighbour. A record larger than this goes alone.
   */
  maxBatchBytes: number;
}

export class BatchingProducer {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private inFlightSince: number | undefined;
  private closed = false;

  constructor(
    private readonly producer: Pick<Producer, 'sendBatch'>,
    private readonly options: BatchingProducerOptions,
    private readonly observer: BatchObserver,
  ) {}

  /** Resolves once Kafka acknowledged the record (acks=all); rejects after budgetMs or on a send failure. */
  produce(topic: string, message: Message, budgetMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new ProducerClosedError());
    return new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => {
        if (entry.settled) return;
        entry.settled = true;
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
        reject(new BudgetExceededError(budgetMs));
      }, budgetMs);
      const entry: Pending = {
        topic,
        message,
        bytes: sizeOf(message.value),
        settled: false,
        resolve: () => {
          clearTimeout(timeout);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timeout);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      };
      this.queue.push(entry);
      this.schedule();
    });
  }

  /** Milliseconds the current batch has been waiting for Kafka (0 when none is in flight). */
  stalledForMs(now = Date.now()): number {
    return this.inFlightSince === undefined ? 0 : now - this.inFlightSince;
  }

  /** Takes no new records, sends what is queued, and waits for the batch in flight. */
  async drain(): Promise<void> {
    this.closed = true;
    while (this.queue.length > 0 || this.inFlight) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
      if (!this.inFlight) this.flush();
      await this.inFlight;
    }
  }

  private schedule(): void {
    if (this.inFlight) return;
    // A full batch goes at once, also while the linger of its first record is still running.
    if (this.queue.length >= this.options.maxBatch || this.options.lingerMs === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.flush();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.options.lingerMs);
  }

  private flush(): void {
    let count = 0;
    let bytes = 0;
    for (const p of this.queue) {
      if (count >= this.options.maxBatch || (count > 0 && bytes + p.bytes > this.options.maxBatchBytes))
        break;
      count++;
      bytes += p.bytes;
    }
    const batch = this.queue.splice(0, count);
    if (batch.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      const list = byTopic.get(p.topic);
      if (list) list.push(p.message);
      else byTopic.set(p.topic, [p.message]);
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
    const started = performance.now();
    this.inFlightSince = Date.now();
    this.inFlight = this.producer
      .sendBatch({ topicMessages, acks: -1 })
      .then(
        () => {
          this.observer.batchSent(batch.length, (performance.now() - started) / 1000);
          for (const p of batch) settle(p, undefined);
        },
        (error: unknown) => {
          this.observer.batchFailed(batch.length, error);
          for (const p of batch) settle(p, error ?? new Error('send failed'));
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        this.inFlightSince = undefined;
        // Records that queued up during the round trip have waited long enough: send them now.
        if (this.queue.length > 0) this.flush();
      });
  }
}

function sizeOf(value: Message['value']): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function settle(p: Pending, error: unknown): void {
  if (p.settled) return;
  p.settled = true;
  if (error === undefined) p.resolve();
  else p.reject(error);
}
