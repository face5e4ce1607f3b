import { RxScaleError } from '../errors.js';

export interface RetryOptions {
  /** Attempts per call including the first (default 4; 1 disables retries). */
  maxAttempts?: number;
  /**
   * No backoff wait is begun that would end later than this after the call began (default 30 s), not counting
   * time spent waiting for budget tokens. An attempt already sent runs to its own timeout.
   */
  maxElapsedMs?: number;
  /** First backoff ceiling (default 250 ms); doubles per attempt. */
  baseDelayMs?: number;
  /** Backoff ceiling (default 8 s). A longer `Retry-After` is still honoured within `maxElapsedMs`. */
  maxDelayMs?: number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  const resolved = {
    maxAttempts: options.maxAttempts ?? 4,
    maxElapsedMs: options.maxElapsedMs ?? 30_000,
    baseDelayMs: options.baseDelayMs ?? 250,
    maxDelayMs: options.maxDelayMs ?? 8_000,
  };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new RangeError('retry.maxAttempts must be a positive integer');
  }
  for (const key of ['maxElapsedMs', 'baseDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] < 0)
      throw new RangeError(`retry.${key} must be zero or more`);
  }
  return resolved;
}

/** Whether an error may succeed on another attempt: connection errors, timeouts, 408, 429 and 5xx. */
export function isRetryable(error: unknown): boolean {
  return error instanceof RxScaleError && error.retryable;
}

/**
 * The wait before attempt `attempt + 1`: "full jitter" (uniform between 0 and the exponential ceiling),
 * so that many clients retrying together spread out. A server's `Retry-After` is a floor.
 */
export function backoffDelayMs(
  attempt: number,
  options: ResolvedRetryOptions,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = random() * ceiling;
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}

/**
 * `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable.
 * A date in the past means "now" (0).
 */
export function parseRetryAfter(
  header: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/[a-z]/i.test(value)) return undefined;
  return Math.max(0, at - now);
}
