/** Per-key figures the admin API shows, so tests assert on what the sandbox saw instead of on timing. */
export interface RateLimitStats {
  allowed: number;
  limited: number;
  /** Most accepted requests seen in any rolling 1 s window. */
  maxPerSecond: number;
  /** Most accepted requests seen in any rolling 60 s window. */
  maxPerMinute: number;
}

export interface RateLimits {
  perSecond: number;
  perMinute: number;
}

/**
 * Sliding-window limits per API key (API.md §6: 10/s and 600/min; the scope is not documented, we chose
 * per key). A request is refused when accepting it would put more than the limit in any rolling window,
 * so "never more than 10 in any second" holds exactly. Refused requests do not consume the budget.
 * When disabled, requests are still counted (throughput tests read the figures).
 */
export class RateLimiter {
  enabled: boolean;
  private readonly windows = new Map<string, KeyWindow>();
  private readonly stats = new Map<string, RateLimitStats>();

  constructor(
    enabled: boolean,
    readonly limits: RateLimits = { perSecond: 10, perMinute: 600 },
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
  ) {
    this.enabled = enabled;
  }

  /** Records the request; returns false when it must be answered with 429. */
  take(keyId: string): boolean {
    const t = this.now();
    const w = this.windowOf(keyId);
    w.slide(t);
    const stats = this.statsOf(keyId);
    const inSecond = w.inLastSecond();
    const inMinute = w.inLastMinute();
    if (this.enabled && (inSecond >= this.limits.perSecond || inMinute >= this.limits.perMinute)) {
      stats.limited += 1;
      return false;
    }
    w.push(t);
    stats.allowed += 1;
    stats.maxPerSecond = Math.max(stats.maxPerSecond, inSecond + 1);
    stats.maxPerMinute = Math.max(stats.maxPerMinute, inMinute + 1);
    return true;
  }

  snapshot(): Record<string, RateLimitStats> {
    return Object.fromEntries([...this.stats].map(([k, v]) => [k, { ...v }]));
  }

  reset(): void {
    this.windows.clear();
    this.stats.clear();
  }

  private windowOf(keyId: string): KeyWindow {
    let w = this.windows.get(keyId);
    if (!w) {
      w = new KeyWindow();
      this.windows.set(keyId, w);
    }
    return w;
  }

  private statsOf(keyId: string): RateLimitStats {
    let s = this.stats.get(keyId);
    if (!s) {
      s = { allowed: 0, limited: 0, maxPerSecond: 0, maxPerMinute: 0 };
      this.stats.set(keyId, s);
    }
    return s;
  }
}

/**
 * Accepted-call times of one key, oldest first, with two moving starts (last minute, last second), so each
 * call costs O(1) amortised even with the limit off and thousands of calls a minute.
 */
class KeyWindow {
  private times: number[] = [];
  private minuteStart = 0;
  private secondStart = 0;

  slide(t: number): void {
    while (this.minuteStart < this.times.length && (this.times[this.minuteStart] ?? 0) <= t - 60_000)
      this.minuteStart++;
    this.secondStart = Math.max(this.secondStart, this.minuteStart);
    while (this.secondStart < this.times.length && (this.times[this.secondStart] ?? 0) <= t - 1000)
      this.secondStart++;
    // Drop what left the minute now and then, so the array does not grow for ever.
    if (this.minuteStart > 4096) {
      this.times = this.times.slice(this.minuteStart);
      this.secondStart -= this.minuteStart;
      this.minuteStart = 0;
    }
  }

  inLastSecond(): number {
    return this.times.length - this.secondStart;
  }

  inLastMinute(): number {
    return this.times.length - this.minuteStart;
  }

  push(t: number): void {
    this.times.push(t);
  }
}
