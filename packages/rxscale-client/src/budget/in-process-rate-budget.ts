import { QueuedRateBudget, type TakeAttempt } from './queued-rate-budget.js';
import { resolveRateLimits, type RateLimits, type ResolvedRateLimits } from './rate-budget.js';

/**
 * The budget of one process alone: for a single replica, tests and tools. It is a sliding log rather than a
 * refill bucket: a bucket holding 10 tokens that refills 10 a second lets 19 calls through within one
 * second, which RxScale would answer with 429s; a log of the last calls allows at most `perSecond` in any
 * window of `secondMs`, and `perMinute` in any window of `minuteMs`.
 */
export class InProcessRateBudget extends QueuedRateBudget {
  private readonly limits: ResolvedRateLimits;
  /** Times (ms, monotonic) of the calls within the last minute window, oldest first. */
  private readonly log: number[] = [];
  private pausedUntil = 0;

  constructor(limits: RateLimits = {}) {
    const resolved = resolveRateLimits({ jitterMs: 0, ...limits });
    super(resolved.jitterMs);
    this.limits = resolved;
  }

  pause(ms?: number): Promise<void> {
    const duration = ms ?? this.limits.secondMs / this.limits.perSecond;
    if (Number.isFinite(duration) && duration > 0) {
      this.pausedUntil = Math.max(this.pausedUntil, performance.now() + duration);
    }
    return Promise.resolve();
  }

  protected tryTake(_rank: number, _nextRank: number | undefined, wanted: number): Promise<TakeAttempt> {
    const now = performance.now();
    if (now < this.pausedUntil) return Promise.resolve({ granted: false, waitMs: this.pausedUntil - now });
    const { perSecond, perMinute, secondMs, minuteMs, minSpacingMs } = this.limits;
    while (this.log.length > 0 && this.log[0]! <= now - minuteMs) this.log.shift();
    const inSecond = this.log.length - lowerBound(this.log, now - secondMs);
    const last = this.log[this.log.length - 1];
    const spaced = last === undefined || last <= now - minSpacingMs;
    if (inSecond < perSecond && this.log.length < perMinute && spaced) {
      // Several at the same instant only where no least spacing is kept (see MAX_TOKENS_PER_TAKE).
      const count =
        minSpacingMs > 0 ? 1 : Math.min(wanted, perSecond - inSecond, perMinute - this.log.length);
      for (let i = 0; i < count; i++) this.log.push(now);
      return Promise.resolve({ granted: true, waitMs: 0, count });
    }
    let waitMs = spaced || last === undefined ? 0 : last + minSpacingMs - now;
    // The call that has to leave the window before another fits: the perSecond-th (perMinute-th) newest.
    if (inSecond >= perSecond)
      waitMs = Math.max(waitMs, this.log[this.log.length - perSecond]! + secondMs - now);
    if (this.log.length >= perMinute)
      waitMs = Math.max(waitMs, this.log[this.log.length - perMinute]! + minuteMs - now);
    return Promise.resolve({ granted: false, waitMs: Math.max(1, waitMs) });
  }

  protected becameIdle(): Promise<void> {
    return Promise.resolve();
  }

  protected release(): Promise<void> {
    return Promise.resolve();
  }
}

/** Index of the first entry greater than `value` in an ascending array. */
function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function createInProcessRateBudget(limits: RateLimits = {}): InProcessRateBudget {
  return new InProcessRateBudget(limits);
}
