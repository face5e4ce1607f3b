import { jest } from '@jest/globals';
import type { Message, ProducerBatch, RecordMetadata } from 'kafkajs';
import {
  BatchingProducer,
  BudgetExceededError,
  ProducerClosedError,
  type BatchObserver,
} from './batching-producer.js';

/** Stands in for kafkajs's sendBatch: records each call and lets the test settle it. */
class SendBatchDouble {
  readonly calls: { batch: ProducerBatch; resolve: () => void; reject: (e: Error) => void }[] = [];
  readonly sendBatch = (batch: ProducerBatch): Promise<RecordMetadata[]> =>
    new Promise((resolve, reject) => {
      this.calls.push({ batch, resolve: () => resolve([]), reject });
    });

  /** Per call: topic -> keys, in order. */
  sent(): Record<string, string[]>[] {
    return this.calls.map(({ batch }) =>
      Object.fromEntries(
        (batch.topicMessages ?? []).map((t) => [t.topic, t.messages.map((m) => String(m.key))]),
      ),
    );
  }
}

class ObserverDouble implements BatchObserver {
  readonly sentSizes: number[] = [];
  readonly failed: { size: number; error: unknown }[] = [];
  batchSent(size: number): void {
    this.sentSizes.push(size);
  }
  batchFailed(size: number, error: unknown): void {
    this.failed.push({ size, error });
  }
}

const message = (key: string, bytes = 10): Message => ({ key, value: 'v'.repeat(bytes) });
const BUDGET = 60_000;

/** Lets settled promises run their callbacks (fake timers do not advance microtasks by themselves). */
const flushPromises = () => jest.advanceTimersByTimeAsync(0);

describe(BatchingProducer.name, () => {
  let send: SendBatchDouble;
  let observer: ObserverDouble;
  const producer = (options: Partial<ConstructorParameters<typeof BatchingProducer>[1]> = {}) =>
    new BatchingProducer(send, { lingerMs: 5, maxBatch: 100, maxBatchBytes: 10_000, ...options }, observer);

  beforeEach(() => {
    jest.useFakeTimers();
    send = new SendBatchDouble();
    observer = new ObserverDouble();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  describe('linger', () => {
    it('holds the first record for the linger, then sends it with those that came meanwhile in one call (acks=all)', async () => {
      const p = producer({ lingerMs: 5 });
      const done = [p.produce('t', message('a'), BUDGET), p.produce('t', message('b'), BUDGET)];
      await jest.advanceTimersByTimeAsync(4);
      expect(send.calls).toHaveLength(0);
      await jest.advanceTimersByTimeAsync(1);
      expect(send.sent()).toEqual([{ t: ['a', 'b'] }]);
      expect(send.calls[0]!.batch.acks).toBe(-1);
      send.calls[0]!.resolve();
      await expect(Promise.all(done)).resolves.toEqual([undefined, undefined]);
      expect(observer.sentSizes).toEqual([2]);
    });

    it('sends at once with a linger of 0', async () => {
      const p = producer({ lingerMs: 0 });
      void p.produce('t', message('a'), BUDGET);
      await flushPromises();
      expect(send.sent()).toEqual([{ t: ['a'] }]);
    });

    it('groups one call by topic, keeping each topic in arrival order', async () => {
      const p = producer();
      for (const [topic, key] of [
        ['orders', 'o1'],
        ['skus', 's1'],
        ['orders', 'o2'],
      ] as const)
        void p.produce(topic, message(key), BUDGET);
      await jest.advanceTimersByTimeAsync(5);
      expect(send.sent()).toEqual([{ orders: ['o1', 'o2'], skus: ['s1'] }]);
    });
  });

  describe('batch limits', () => {
    it('sends as soon as a batch is full, without waiting for the linger, and never more than maxBatch', async () => {
      const p = producer({ lingerMs: 1000, maxBatch: 3 });
      for (const key of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) void p.produce('t', message(key), BUDGET);
      await flushPromises();
      expect(send.sent()).toEqual([{ t: ['a', 'b', 'c'] }]);
      send.calls[0]!.resolve();
      await flushPromises();
      // What queued meanwhile goes right after the round trip, again at most maxBatch.
      expect(send.sent().slice(1)).toEqual([{ t: ['d', 'e', 'f'] }]);
      send.calls[1]!.resolve();
      await flushPromises();
      expect(send.sent().slice(2)).toEqual([{ t: ['g'] }]);
    });

    it('splits by value bytes, and sends a record larger than maxBatchBytes alone', async () => {
      const p = producer({ maxBatchBytes: 1000 });
      void p.produce('t', message('a', 400), BUDGET);
      void p.produce('t', message('b', 400), BUDGET);
      void p.produce('t', message('c', 400), BUDGET);
      void p.produce('t', message('huge', 5000), BUDGET);
      void p.produce('t', message('d', 10), BUDGET);
      await jest.advanceTimersByTimeAsync(5);
      for (let i = 0; i < 3; i++) {
        send.calls[i]!.resolve();
        await flushPromises();
      }
      expect(send.sent()).toEqual([{ t: ['a', 'b'] }, { t: ['c'] }, { t: ['huge'] }, { t: ['d'] }]);
    });

    it('keeps one call in flight at a time', async () => {
      const p = producer({ lingerMs: 0 });
      void p.produce('t', message('a'), BUDGET);
      await flushPromises();
      void p.produce('t', message('b'), BUDGET);
      void p.produce('t', message('c'), BUDGET);
      await jest.advanceTimersByTimeAsync(100);
      expect(send.calls).toHaveLength(1);
      expect(p.stalledForMs(Date.now())).toBeGreaterThanOrEqual(100);
      send.calls[0]!.resolve();
      await flushPromises();
      expect(send.sent()).toEqual([{ t: ['a'] }, { t: ['b', 'c'] }]);
    });
  });

  describe('failures', () => {
    it("rejects every record of a failed call with Kafka's error, reports it, and sends the next batch", async () => {
      const p = producer({ lingerMs: 0 });
      const first = [p.produce('t', message('a'), BUDGET)];
      await flushPromises();
      first.push(p.produce('t', message('b'), BUDGET));
      const later = p.produce('t', message('c'), BUDGET);
      const refused = new Error('NOT_ENOUGH_REPLICAS');
      send.calls[0]!.reject(refused);
      await expect(first[0]).rejects.toBe(refused);
      expect(observer.failed).toEqual([{ size: 1, error: refused }]);
      await flushPromises();
      expect(send.sent()[1]).toEqual({ t: ['b', 'c'] });
      send.calls[1]!.resolve();
      await expect(Promise.all([first[1], later])).resolves.toEqual([undefined, undefined]);
    });

    it('withdraws a record whose budget ran out before it was handed to Kafka, so it is never sent', async () => {
      const p = producer({ lingerMs: 0 });
      void p.produce('t', message('a'), BUDGET);
      await flushPromises();
      const late = p.produce('t', message('late'), 50);
      const lateResult = expect(late).rejects.toBeInstanceOf(BudgetExceededError);
      await jest.advanceTimersByTimeAsync(50);
      await lateResult;
      send.calls[0]!.resolve();
      await flushPromises();
      expect(send.sent()).toEqual([{ t: ['a'] }]);
    });

    it('rejects a record whose budget ran out while Kafka had it, and does not settle it twice', async () => {
      const p = producer({ lingerMs: 0 });
      const handedOver = p.produce('t', message('a'), 50);
      const result = expect(handedOver).rejects.toThrow('record not acknowledged by Kafka within 50 ms');
      await jest.advanceTimersByTimeAsync(50);
      await result;
      send.calls[0]!.resolve(); // lands after all: a duplicate RxScale's redelivery makes harmless
      await flushPromises();
      expect(observer.sentSizes).toEqual([1]);
    });
  });

  describe('drain', () => {
    it('sends what is queued, waits for it, and refuses new records', async () => {
      const p = producer({ lingerMs: 1000 });
      const queued = p.produce('t', message('a'), BUDGET);
      const drained = p.drain();
      await flushPromises();
      expect(send.sent()).toEqual([{ t: ['a'] }]);
      await expect(p.produce('t', message('b'), BUDGET)).rejects.toBeInstanceOf(ProducerClosedError);
      send.calls[0]!.resolve();
      await expect(Promise.all([queued, drained])).resolves.toEqual([undefined, undefined]);
    });
  });
});
