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
}

export interface RateLimits {
  /** Calls allowed in any window of `secondMs` (default 10, RxScale's documented limit, API.md §6). */
  perSecond?: number;
  /** Calls allowed in any window of `minuteMs` (default 600). */
  perMinute?: number;
  /**
   * Added to both windows (default 25 ms) so that network jitter between taking a token and the request
   * reaching RxScale does not put an 11th call into one of RxScale's seconds.
   */
  marginMs?: number;
  /** Upper bound of the random delay added to every wait (default 10 ms) so waiters do not wake together. */
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
  const marginMs = limits.marginMs ?? 25;
  const jitterMs = limits.jitterMs ?? 10;
  for (const [name, value] of Object.entries({ perSecond, perMinute })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`Rate budget ${name} must be a positive integer`);
  }
  const secondMs = 1000 + marginMs;
  const minSpacingMs = limits.minSpacingMs ?? Math.floor(secondMs / perSecond / 2);
  for (const [name, value] of Object.entries({ marginMs, jitterMs, minSpacingMs })) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`Rate budget ${name} must be zero or more`);
  }
  return { perSecond, perMinute, secondMs, minuteMs: 60_000 + marginMs, jitterMs, minSpacingMs };
}
