import { ManualClock, systemClock } from './clock.js';

describe(ManualClock.name, () => {
  it('stands still until advanced', () => {
    const clock = new ManualClock('2026-03-01T10:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2026-03-01T10:00:00.000Z');
    clock.advance(1500);
    expect(clock.now().toISOString()).toBe('2026-03-01T10:00:01.500Z');
  });

  it('refuses to move backwards', () => {
    const clock = new ManualClock();
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('hands out copies, so a caller cannot move it by mutating a date', () => {
    const clock = new ManualClock('2026-03-01T10:00:00.000Z');
    clock.now().setFullYear(2000);
    expect(clock.now().getUTCFullYear()).toBe(2026);
  });
});

describe('systemClock', () => {
  it('follows the wall clock', () => {
    const before = Date.now();
    const t = systemClock.now().getTime();
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});
