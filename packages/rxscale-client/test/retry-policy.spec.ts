import { backoffDelayMs, parseRetryAfter, resolveRetryOptions } from '../src/http/retry-policy.js';

describe('retry policy', () => {
  const options = resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 1000 });

  it('draws the backoff uniformly below an exponential ceiling (full jitter)', () => {
    expect(backoffDelayMs(1, options, undefined, () => 0.999)).toBeCloseTo(99.9);
    expect(backoffDelayMs(3, options, undefined, () => 0.5)).toBe(200);
    expect(backoffDelayMs(10, options, undefined, () => 1)).toBe(1000);
    expect(backoffDelayMs(2, options, undefined, () => 0)).toBe(0);
  });

  it('never waits less than Retry-After', () => {
    expect(backoffDelayMs(1, options, 3000, () => 0.5)).toBe(3000);
    expect(backoffDelayMs(5, options, 10, () => 0.5)).toBe(500);
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores what it cannot read', () => {
    const now = Date.parse('2026-01-08T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 08 Jan 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Thu, 08 Jan 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });

  it('refuses nonsensical options', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow('maxAttempts');
    expect(() => resolveRetryOptions({ maxElapsedMs: -1 })).toThrow('maxElapsedMs');
  });
});
