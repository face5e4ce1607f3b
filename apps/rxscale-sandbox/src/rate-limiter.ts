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
  private readonly accepted = new Map<string, number[]>();
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
    const times = (this.accepted.get(keyId) ?? []).filter((x) => x > t - 60_000);
    this.accepted.set(keyId, times);
    const stats = this.statsOf(keyId);
    const inSecond = countSince(times, t - 1000);
    if (this.enabled && (inSecond >= this.limits.perSecond || times.length >= this.limits.perMinute)) {
      stats.limited += 1;
      return false;
    }
    times.push(t);
    stats.allowed += 1;
    stats.maxPerSecond = Math.max(stats.maxPerSecond, inSecond + 1);
    stats.maxPerMinute = Math.max(stats.maxPerMinute, times.length);
    return true;
  }

  snapshot(): Record<string, RateLimitStats> {
    return Object.fromEntries([...this.stats].map(([k, v]) => [k, { ...v }]));
  }

  reset(): void {
    this.accepted.clear();
    this.stats.clear();
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

/** Timestamps are appended in order, so count from the end. */
function countSince(times: number[], since: number): number {
  let n = 0;
  for (let i = times.length - 1; i >= 0 && (times[i] ?? 0) > since; i--) n++;
  return n;
}
