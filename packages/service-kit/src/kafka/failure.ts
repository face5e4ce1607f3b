import { isPermanentErrorCode, type ErrorCode } from '@rxbridge/contracts';

/**
 * How the plumbing decides between "try again" and "dead letter" (DESIGN.md §4). Domain code marks its
 * errors with `retryable: true` or `permanent: true` (or throws these classes); everything else is judged
 * by its driver code, or by its code in the shared table (@rxbridge/contracts ErrorCodes). An EventContractError
 * carries `permanent: true`: a contract violation goes straight to the dead-letter topic.
 */
export type FailureKind = 'transient' | 'permanent';

export class PermanentError extends Error {
  readonly permanent = true;
  constructor(
    message: string,
    readonly code: ErrorCode = 'permanent',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

export class TransientError extends Error {
  readonly retryable = true;
  constructor(
    message: string,
    readonly code: ErrorCode = 'transient',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}

// PostgreSQL SQLSTATEs worth retrying: the transaction lost a race or the server went away, not a bug.
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '53300', '53400']);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  retryable?: unknown;
  retriable?: unknown;
  permanent?: unknown;
  driverError?: unknown;
  cause?: unknown;
  message?: unknown;
}

export function classifyFailure(error: unknown): FailureKind {
  if (typeof error !== 'object' || error === null) return 'transient';
  const e = error as ErrorLike;
  if (e.permanent === true || e.retryable === false) return 'permanent';
  if (e.retryable === true || e.retriable === true) return 'transient';
  if (e.name === 'ZodError') return 'permanent';
  const code = typeof e.code === 'string' ? e.code : undefined;
  // A code of the shared table (an EventContractError's, say) says what it is, even without its flag.
  const tabled = code === undefined ? undefined : isPermanentErrorCode(code);
  if (tabled !== undefined) return tabled ? 'permanent' : 'transient';
  if (code && (TRANSIENT_SQLSTATES.has(code) || code.startsWith('08') || TRANSIENT_NODE_CODES.has(code)))
    return 'transient';
  if (e.driverError) return classifyFailure(e.driverError);
  if (e.cause) return classifyFailure(e.cause);
  // Unknown failures are retried, then parked, then dead-lettered after the parked attempts: a bug costs
  // a few retries, but a transient fault we failed to recognise never loses an event.
  return 'transient';
}

/** A short, log-safe description: class and message only, never the payload. */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000);
  if (typeof error === 'object' && error !== null && typeof (error as ErrorLike).message === 'string') {
    return String((error as ErrorLike).message).slice(0, 2000);
  }
  return String(error).slice(0, 2000);
}

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** multiplier per attempt */
  factor?: number;
}

/** Exponential backoff with full jitter in the upper half, so replicas do not retry in lockstep. */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const raw = Math.min(policy.maxMs, policy.initialMs * (policy.factor ?? 2) ** Math.max(0, attempt - 1));
  return Math.round(raw / 2 + (Math.random() * raw) / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Thrown out of a backoff sleep that a shutdown cut short: the record stays uncommitted and is read again. */
export class ShutdownInterrupt extends Error {
  override readonly name = 'ShutdownInterrupt';
}

/** What the careful path does after a handler's failure on try `attempt` of `maxAttempts`. */
export type FailureDecision = 'dead-letter' | 'park' | 'retry';

export function decideAfterFailure(error: unknown, attempt: number, maxAttempts: number): FailureDecision {
  if (classifyFailure(error) === 'permanent') return 'dead-letter';
  return attempt >= maxAttempts ? 'park' : 'retry';
}

/**
 * Infrastructure steps (park, dead-letter) must happen before the offset moves: retries `step` with backoff
 * until it succeeds, or throws ShutdownInterrupt once `signal` aborts.
 */
export async function untilDone(
  step: () => Promise<void>,
  options: {
    backoff: BackoffPolicy;
    signal: AbortSignal;
    onFailure: (attempt: number, error: unknown) => void;
  },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      options.onFailure(attempt, error);
      await sleep(backoffDelay(attempt, options.backoff), options.signal);
      if (options.signal.aborted) throw new ShutdownInterrupt();
    }
  }
}
