/**
 * The service's view of the current time. Use cases take a Clock instead of calling `new Date()`, so
 * tests can fix or advance time (STYLE.md: every side effect behind an adapter).
 */
export interface Clock {
  now(): Date;
}

/** Nest injection token for the service's Clock. */
export const CLOCK = Symbol('rxbridge.clock');

export const systemClock: Clock = { now: () => new Date() };

/** A clock for tests: stands still until told to move. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string = '2026-01-01T00:00:00.000Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock only moves forward');
    this.current += ms;
  }

  set(to: Date | string): void {
    this.current = new Date(to).getTime();
  }
}
