// The fleet-wide RxScale rate budget (DESIGN.md §5): every attempt of every call takes one token first.

/** What a call is for; earlier in this list is served first when calls compete for tokens. */
export const RXSCALE_PRIORITIES = ['order-status', 'shipment', 'stock-push', 'reconciliation'] as const;
export type RxScalePriority = (typeof RXSCALE_PRIORITIES)[number];

/** 0 for the most urgent priority; lower ranks are served first. */
export function priorityRank(priority: RxScalePriority): number {
  const rank = RXSCALE_PRIORITIES.indexOf(priority);
  if (rank < 0) throw new TypeError(`Unknown RxScale priority: ${String(priority)}`);
  return rank;
}

export interface RateBudget {
  /**
   * Resolves when one token has been taken for a call of this priority. Rejects with `signal.reason`
   * when the signal aborts first (the token is then not taken).
   */
  take(priority: RxScalePriority, signal?: AbortSignal): Promise<void>;
  /** Releases what the budget holds (timers, its waiter registration, a pool it created). */
  close(): Promise<void>;
  /**
   * RxScale answered 429: no token for anyone sharing this budget for `ms` (RxScale's `Retry-After`), or, when
   * it sent none, for one token spacing (secondMs / perSecond): in a rolling window that is when the next
   * call fits again. The whole fleet backs off, not only the call that was refused.
   */
  pause?(ms?: number): Promise<void>;
}

export interface RateLimits {
  /** Calls allowed in any window of `secondMs` (default 10, RxScale's documented limit, API.md §6). */
  perSecond?: number;
  /** Calls allowed in any window of `minuteMs` (default 600). */
  perMinute?: number;
  /**
   * Added to both windows (default 40 ms) so that jitter between taking a token and the request reaching
   * RxScale (scheduling, GC, network) does not put an 11th call into one of RxScale's seconds. 25 ms still
   * let 1-5 calls a minute through as 429s on a loaded 2-core machine; 40 ms none, at 9.6 calls/s.
   */
  marginMs?: number;
  /**
   * Upper bound of the random delay added to every wait (default 3 ms) so replicas do not wake in lockstep.
   * Small, because every token's lateness lengthens the cycle of its slot in the window.
   */
  jitterMs?: number;
  /**
   * Least time between two calls (default half the average spacing: (1000 + marginMs) / perSecond / 2). A pure
   * sliding log lets 10 calls start at the same instant and then repeats that burst every second; a server
   * handles a burst in any order, and the resulting arrival jitter puts an 11th call into one of its seconds.
   */
  minSpacingMs?: number;
}

export interface ResolvedRateLimits {
  perSecond: number;
  perMinute: number;
  secondMs: number;
  minuteMs: number;
  jitterMs: number;
  minSpacingMs: number;
}

export function resolveRateLimits(limits: RateLimits = {}): ResolvedRateLimits {
  const perSecond = limits.perSecond ?? 10;
  const perMinute = limits.perMinute ?? 600;
  const marginMs = limits.marginMs ?? 40;
  const jitterMs = limits.jitterMs ?? 3;
  for (const [name, value] of Object.entries({ perSecond, perMinute })) {
    if (!Number.isInteger(value) || value < 1)
      throw new RangeError(`Rate budget ${name} must be a positive integer`);
  }
  const secondMs = 1000 + marginMs;
  const minSpacingMs = limits.minSpacingMs ?? Math.floor(secondMs / perSecond / 2);
  for (const [name, value] of Object.entries({ marginMs, jitterMs, minSpacingMs })) {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`Rate budget ${name} must be zero or more`);
  }
  return { perSecond, perMinute, secondMs, minuteMs: 60_000 + marginMs, jitterMs, minSpacingMs };
}
