import { RateLimiter } from './rate-limiter.js';

describe(RateLimiter.name, () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('allows 10 in any rolling second, not 10 per calendar second', () => {
    const c = clock();
    const rl = new RateLimiter(true, { perSecond: 10, perMinute: 600 }, c.now);
    c.advance(900);
    for (let i = 0; i < 10; i++) expect(rl.take('k')).toBe(true);
    expect(rl.take('k')).toBe(false);
    // 200 ms later a fixed window would have reset; the rolling window still holds all ten.
    c.advance(200);
    expect(rl.take('k')).toBe(false);
    c.advance(801);
    expect(rl.take('k')).toBe(true);
    expect(rl.snapshot()['k']).toEqual({ allowed: 11, limited: 2, maxPerSecond: 10, maxPerMinute: 11 });
  });

  it('limits each API key on its own (RxScale limits per key, API.md §6)', () => {
    const c = clock();
    const rl = new RateLimiter(true, { perSecond: 10, perMinute: 600 }, c.now);
    for (let i = 0; i < 10; i++) expect(rl.take('key-a')).toBe(true);
    expect(rl.take('key-a')).toBe(false);
    // Another key's full second does not cost this one anything.
    for (let i = 0; i < 10; i++) expect(rl.take('key-b')).toBe(true);
    expect(rl.take('key-b')).toBe(false);
    expect(rl.snapshot()).toEqual({
      'key-a': { allowed: 10, limited: 1, maxPerSecond: 10, maxPerMinute: 10 },
      'key-b': { allowed: 10, limited: 1, maxPerSecond: 10, maxPerMinute: 10 },
    });
  });

  it('allows 600 in any rolling minute', () => {
    const c = clock();
    const rl = new RateLimiter(true, { perSecond: 10, perMinute: 600 }, c.now);
    for (let i = 0; i < 600; i++) {
      c.advance(100);
      expect(rl.take('k')).toBe(true);
    }
    expect(rl.take('k')).toBe(false);
    c.advance(100);
    // The first call of the minute has left the window.
    expect(rl.take('k')).toBe(true);
  });

  it('does not charge refused calls, and counts without refusing when disabled', () => {
    const c = clock();
    const rl = new RateLimiter(false, { perSecond: 10, perMinute: 600 }, c.now);
    for (let i = 0; i < 25; i++) expect(rl.take('k')).toBe(true);
    expect(rl.snapshot()['k']).toMatchObject({ allowed: 25, limited: 0, maxPerSecond: 25 });
  });
});
