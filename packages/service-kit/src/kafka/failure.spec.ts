import { backoffDelay, classifyFailure, describeFailure, PermanentError, TransientError } from './failure.js';

describe(classifyFailure.name, () => {
  it.each([
    ['a serialization failure', Object.assign(new Error('could not serialize'), { code: '40001' })],
    ['a deadlock', Object.assign(new Error('deadlock detected'), { code: '40P01' })],
    ['a lost database connection', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['a refused socket', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['an error marked retryable', Object.assign(new Error('RxScale 503'), { retryable: true })],
    ['a kafkajs retriable error', Object.assign(new Error('leader not available'), { retriable: true })],
    [
      'a TypeORM query failure wrapping a deadlock',
      Object.assign(new Error('query failed'), { driverError: { code: '40P01' } }),
    ],
    ['a TransientError', new TransientError('later')],
    ['something unrecognised', new Error('who knows')],
  ])('treats %s as transient', (_label, error) => {
    expect(classifyFailure(error)).toBe('transient');
  });

  it.each([
    ['a PermanentError', new PermanentError('refused', 'REFUSED')],
    ['an error marked permanent', Object.assign(new Error('refused transition'), { permanent: true })],
    ['an error marked not retryable', Object.assign(new Error('RxScale 422'), { retryable: false })],
    ['a zod error', Object.assign(new Error('invalid'), { name: 'ZodError' })],
  ])('treats %s as permanent', (_label, error) => {
    expect(classifyFailure(error)).toBe('permanent');
  });
});

describe(describeFailure.name, () => {
  it('names the class and message, and copes with non-errors', () => {
    expect(describeFailure(new PermanentError('nope'))).toBe('PermanentError: nope');
    expect(describeFailure({ status: 'error', message: 'Internal server error' })).toBe(
      'Internal server error',
    );
    expect(describeFailure('x'.repeat(5000))).toHaveLength(2000);
  });
});

describe(backoffDelay.name, () => {
  it('grows exponentially within its cap, with jitter in the upper half', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const raw = Math.min(1000, 100 * 2 ** (attempt - 1));
      const d = backoffDelay(attempt, { initialMs: 100, maxMs: 1000 });
      expect(d).toBeGreaterThanOrEqual(raw / 2);
      expect(d).toBeLessThanOrEqual(raw);
    }
  });
});
