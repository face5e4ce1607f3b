import { abortReason } from '../abort-reason.js';
import { priorityRank, type RateBudget, type RxScalePriority } from './rate-budget.js';

export interface TakeAttempt {
  granted: boolean;
  /** When not granted: how long until a token may be free (before jitter). */
  waitMs: number;
  /** When granted: how many tokens (1 to the `wanted` asked for; default 1). */
  count?: number;
}

/**
 * Most tokens one store round trip may grant. A store grants several only where the limits allow calls at
 * the same instant (least spacing 0, i.e. limits of about 1,000/s and more); at RxScale's 10/s it is one.
 */
export const MAX_TOKENS_PER_TAKE = 32;

interface Waiter {
  rank: number;
  seq: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  detach: () => void;
}

/**
 * The local half shared by every budget: callers wait in one queue ordered by priority (then arrival), and
 * a single pump asks the underlying store for a token on behalf of the queue's head. One pump per budget
 * means one store round trip at a time however many calls wait, and sleeping between attempts (never
 * spinning) until the store says a token may be free.
 */
export abstract class QueuedRateBudget implements RateBudget {
  private readonly queue: Waiter[] = [];
  private seq = 0;
  private pumping: Promise<void> | undefined;
  private running = false;
  private wakeSleeper: (() => void) | undefined;
  private sleepingForRank: number | undefined;
  private closed = false;

  protected constructor(private readonly jitterMs: number) {}

  /**
   * Takes up to `wanted` tokens for calls of `rank` if allowed now (at least one when granted); `nextRank` is
   * the rank that will wait next locally once all `wanted` are served.
   */
  protected abstract tryTake(
    rank: number,
    nextRank: number | undefined,
    wanted: number,
  ): Promise<TakeAttempt>;
  /** The queue emptied without a final grant (callers gave up): forget any registration of this budget. */
  protected abstract becameIdle(): Promise<void>;

  take(priority: RxScalePriority, signal?: AbortSignal): Promise<void> {
    let rank: number;
    try {
      rank = priorityRank(priority);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new TypeError(String(err)));
    }
    if (this.closed) return Promise.reject(new Error('The rate budget is closed'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        reject(abortReason(signal));
        if (this.queue.length === 0) this.wakeSleeper?.();
      };
      const waiter: Waiter = {
        rank,
        seq: this.seq++,
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      let at = this.queue.findIndex((w) => w.rank > rank);
      if (at < 0) at = this.queue.length;
      this.queue.splice(at, 0, waiter);
      // A more urgent caller than the one the pump sleeps for: register it with the store now, so that
      // less urgent callers elsewhere in the fleet stop taking tokens ahead of it.
      if (this.sleepingForRank !== undefined && rank < this.sleepingForRank) this.wakeSleeper?.();
      if (!this.running) {
        this.running = true;
        this.pumping = this.pump();
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.queue.splice(0)) {
      waiter.detach();
      waiter.reject(new Error('The rate budget is closed'));
    }
    this.wakeSleeper?.();
    await this.pumping;
    await this.release();
  }

  /** What close() frees beyond the queue (pools, registrations). */
  protected abstract release(): Promise<void>;

  private async pump(): Promise<void> {
    let registered = false;
    for (;;) {
      if (this.queue.length === 0 || this.closed) {
        if (registered && !this.closed) {
          // Callers gave up: withdraw this budget's claim, then look again (a caller may have come meanwhile).
          registered = false;
          await this.becameIdle().catch(() => undefined);
          continue;
        }
        // Synchronously with the last check: a take() after this point starts a new pump.
        this.running = false;
        return;
      }
      const head = this.queue[0]!;
      // The callers at the head's rank may share one round trip (the store decides how many it grants):
      // only callers of that rank, so none of them overtakes a more urgent waiter elsewhere in the fleet.
      let wanted = 1;
      while (
        wanted < MAX_TOKENS_PER_TAKE &&
        wanted < this.queue.length &&
        this.queue[wanted]!.rank === head.rank
      )
        wanted++;
      const nextRank = this.queue[wanted]?.rank;
      let attempt: TakeAttempt;
      try {
        attempt = await this.tryTake(head.rank, nextRank, wanted);
      } catch (err) {
        // The store failed (e.g. the database is unreachable): this caller's call fails with it, as a
        // transient error, and the next caller tries afresh.
        registered = true;
        const index = this.queue.indexOf(head);
        if (index >= 0) {
          this.queue.splice(index, 1);
          head.detach();
          head.reject(err);
        }
        continue;
      }
      if (attempt.granted) {
        const count = Math.max(1, Math.min(attempt.count ?? 1, wanted));
        registered = count < wanted || nextRank !== undefined;
        // Tokens are fungible: if a caller gave up meanwhile, the next one gets its token.
        for (const served of this.queue.splice(0, count)) {
          served.detach();
          served.resolve();
        }
        continue;
      }
      registered = true;
      await this.sleep(attempt.waitMs + Math.random() * this.jitterMs, head.rank);
    }
  }

  private sleep(ms: number, rank: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        this.sleepingForRank = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wakeSleeper = done;
      this.sleepingForRank = rank;
    });
  }
}
