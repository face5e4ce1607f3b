import { retryDelayMs } from './webhook-dispatcher.js';

describe('webhook retry backoff', () => {
  it('doubles from the base delay and stops at the cap', () => {
    const options = { baseDelayMs: 1000, maxDelayMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(n, options))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });
});
