import { EventContractError } from '@rxbridge/contracts';
import {
  backoffDelay,
  classifyFailure,
  decideAfterFailure,
  describeFailure,
  PermanentError,
  ShutdownInterrupt,
  TransientError,
  untilDone,
} from './failure.js';

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
    ['a PermanentError', new PermanentError('refused', 'transition_not_allowed')],
    ['an error marked permanent', Object.assign(new Error('refused transition'), { permanent: true })],
    ['an error marked not retryable', Object.assign(new Error('RxScale 422'), { retryable: false })],
    ['a zod error', Object.assign(new Error('invalid'), { name: 'ZodError' })],
    [
      'an EventContractError',
      new EventContractError('invalid_event', 'invalid pharmacy.stock.reserved event'),
    ],
    [
      'a contract violation wrapped by the handler',
      new Error('handling failed', { cause: new EventContractError('wrong_topic', 'wrong topic') }),
    ],
    [
      'an error with a permanent code of the shared table',
      Object.assign(new Error('x'), { code: 'invalid_json' }),
    ],
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

describe(decideAfterFailure.name, () => {
  it('dead-letters a permanent failure on any try, without retrying it', () => {
    expect(decideAfterFailure(new EventContractError('invalid_event', 'bad'), 1, 3)).toBe('dead-letter');
    expect(decideAfterFailure(new PermanentError('refused'), 3, 3)).toBe('dead-letter');
  });

  it('retries a transient failure in place until its last try, then parks it', () => {
    const outage = new TransientError('RxScale is away');
    expect([1, 2, 3].map((attempt) => decideAfterFailure(outage, attempt, 3))).toEqual([
      'retry',
      'retry',
      'park',
    ]);
  });
});

describe(untilDone.name, () => {
  const backoff = { initialMs: 1, maxMs: 2 };

  it('repeats a failing step until it succeeds, reporting each failure', async () => {
    let calls = 0;
    const failures: number[] = [];
    await untilDone(() => (++calls < 3 ? Promise.reject(new Error('broker away')) : Promise.resolve()), {
      backoff,
      signal: new AbortController().signal,
      onFailure: (attempt) => failures.push(attempt),
    });
    expect([calls, failures]).toEqual([3, [1, 2]]);
  });

  it('gives up with ShutdownInterrupt once shutdown starts', async () => {
    const stopping = new AbortController();
    const attempt = untilDone(() => Promise.reject(new Error('broker away')), {
      backoff,
      signal: stopping.signal,
      onFailure: () => stopping.abort(),
    });
    await expect(attempt).rejects.toBeInstanceOf(ShutdownInterrupt);
  });
});

describe('the codes of PermanentError and TransientError', () => {
  it('are the table of @rxbridge/contracts: tsc refuses a code it lacks', () => {
    // @ts-expect-error -- not a code of ErrorCodes (typecheck fails once the parameter takes any string)
    const stray = new PermanentError('refused', 'NOT_IN_THE_TABLE');
    // @ts-expect-error -- the old spelling of invalid_webhook
    const old = new TransientError('later', 'WEBHOOK_INVALID');
    expect([stray.code, old.code]).toEqual(['NOT_IN_THE_TABLE', 'WEBHOOK_INVALID']);
    expect(new PermanentError('refused', 'invalid_webhook').code).toBe('invalid_webhook');
  });
});
