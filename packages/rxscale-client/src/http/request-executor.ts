import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { HttpMethod } from '@rxbridge/rxscale-contract';
import { abortReason } from '../abort-reason.js';
import { InProcessRateBudget } from '../budget/in-process-rate-budget.js';
import type { RateBudget, RxScalePriority } from '../budget/rate-budget.js';
import {
  apiErrorFor,
  RxScaleApiError,
  RxScaleBudgetError,
  RxScaleConfigError,
  RxScaleConnectionError,
  RxScaleRateLimitError,
  RxScaleError,
  RxScaleSchemaError,
  RxScaleTimeoutError,
  type RxScaleErrorContext,
} from '../errors.js';
import { resolveBaseUrl } from './base-url.js';
import {
  backoffDelayMs,
  parseRetryAfter,
  resolveRetryOptions,
  type ResolvedRetryOptions,
  type RetryOptions,
} from './retry-policy.js';
import { schemaIssues } from './schema-issues.js';

/** Whether the API key acts for one pharmacy or a whole group (API.md §3). */
export type RxScaleKeyScope = 'pharmacy' | 'group';

/** What every call accepts on top of its own arguments. */
export interface RxScaleCallOptions {
  /** The pharmacy the call acts on (group-wide keys); defaults to the client's `pharmacyUid`. */
  pharmacyUid?: string;
  /** Timeout of each attempt, from sending to the last byte of the answer (default: the client's). */
  timeoutMs?: number;
  /** Aborts waiting for a token, an attempt in flight, and a backoff wait; the call rejects with its reason. */
  signal?: AbortSignal;
  /** Identity of the logical request (default: a new UUID), sent as `X-Request-Id` on every attempt. */
  requestId?: string;
  /** Overrides the endpoint's default priority for the rate budget. */
  priority?: RxScalePriority;
}

export interface RxScaleRequest<T> extends RxScaleCallOptions {
  method: HttpMethod;
  /** As documented, e.g. `/pharmacy_orders/{uid}/status`; `{name}` is filled from `pathParams`. */
  pathTemplate: string;
  pathParams?: Record<string, string>;
  query?: Record<string, string | number | boolean | null | undefined>;
  body?: unknown;
  /** Checked before anything is sent; a mismatch is an RxScaleSchemaError with direction `request`. */
  requestSchema?: z.ZodType;
  /** Parses a 2xx answer (an empty body is parsed as `undefined`). */
  responseSchema: z.ZodType<T>;
  priority: RxScalePriority;
}

/** Emitted before each attempt (after its token was taken). Holds nothing secret; of the query, only the pharmacy uid. */
export interface RxScaleRequestEvent {
  requestId: string;
  method: HttpMethod;
  pathTemplate: string;
  attempt: number;
  priority: RxScalePriority;
  /** The pharmacy the call acts on, when known (a uid, not patient data). */
  pharmacyUid?: string;
}

/** Emitted after each attempt. */
export interface RxScaleResponseEvent extends RxScaleRequestEvent {
  /** HTTP status, absent when no answer arrived (connection error, timeout, abort). */
  status?: number;
  durationMs: number;
  /** The error's class name (`RxScaleServerError`...) when the attempt failed. */
  errorClass?: string;
  errorCode?: string;
  /** Whether another attempt follows. */
  willRetry: boolean;
}

export interface RxScaleHooks {
  onRequest?: (event: RxScaleRequestEvent) => void;
  onResponse?: (event: RxScaleResponseEvent) => void;
}

export interface RxScaleHttpOptions {
  /** Host, or host plus base path (see resolveBaseUrl). */
  baseUrl: string;
  /** One of RXSCALE_BASE_PATHS (default DEFAULT_RXSCALE_BASE_PATH, the hyphenated form, DESIGN.md §11). */
  basePath?: string;
  apiKey: string;
  /** `group` adds `pharmacy_uid` to every call (default `pharmacy`). */
  keyScope?: RxScaleKeyScope;
  /** Default pharmacy for group-wide keys; a call may name another. */
  pharmacyUid?: string;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** The rate budget every attempt takes a token from (default: an in-process one of 10/s, 600/min). */
  budget?: RateBudget;
  hooks?: RxScaleHooks;
  userAgent?: string;
  /**
   * Headers describing the caller's context, read once per logical request: the W3C `traceparent` and
   * `correlationid` of the work that caused the call, so RxScale calls join the trace of the Kafka record
   * behind them. They never replace the client's own headers (key, request id, content type).
   */
  contextHeaders?: () => Record<string, string>;
}

const UID = /^[^\s/?#]{1,200}$/;

/**
 * Sends one logical request to RxScale over the global fetch: takes a budget token before every attempt,
 * retries what may succeed on another attempt (connection errors, timeouts, 408, 429, 5xx) with full-jitter
 * backoff, honours `Retry-After`, caps attempts and total time, and parses 2xx answers with the caller's schema.
 */
export class RxScaleRequestExecutor {
  readonly baseUrl: string;
  readonly keyScope: RxScaleKeyScope;
  readonly budget: RateBudget;
  private readonly apiKey: string;
  private readonly pharmacyUid: string | undefined;
  private readonly timeoutMs: number;
  private readonly retry: ResolvedRetryOptions;
  private readonly hooks: RxScaleHooks;
  private readonly contextHeaders: (() => Record<string, string>) | undefined;
  private readonly userAgent: string;
  private readonly ownsBudget: boolean;

  constructor(options: RxScaleHttpOptions) {
    this.baseUrl = resolveBaseUrl(options.baseUrl, options.basePath);
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '' || /[\r\n]/.test(options.apiKey)) {
      throw new RxScaleConfigError('config_invalid', 'RxScale apiKey must be a non-empty single-line string');
    }
    this.apiKey = options.apiKey;
    this.keyScope = options.keyScope ?? 'pharmacy';
    if (this.keyScope !== 'pharmacy' && this.keyScope !== 'group') {
      throw new RxScaleConfigError('config_invalid', "RxScale keyScope must be 'pharmacy' or 'group'");
    }
    if (options.pharmacyUid !== undefined) assertUid(options.pharmacyUid, 'pharmacyUid');
    this.pharmacyUid = options.pharmacyUid;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    assertTimeout(this.timeoutMs);
    try {
      this.retry = resolveRetryOptions(options.retry);
    } catch (err) {
      throw new RxScaleConfigError('config_invalid', `RxScale ${(err as Error).message}`);
    }
    this.ownsBudget = !options.budget;
    this.budget = options.budget ?? new InProcessRateBudget();
    this.hooks = options.hooks ?? {};
    this.userAgent = options.userAgent ?? '@rxbridge/rxscale-client';
    this.contextHeaders = options.contextHeaders;
  }

  /** Closes a budget this executor created itself (a budget passed in belongs to the caller). */
  async close(): Promise<void> {
    if (this.ownsBudget) await this.budget.close();
  }

  async request<T>(req: RxScaleRequest<T>): Promise<T> {
    const requestId = req.requestId ?? randomUUID();
    const context: RxScaleErrorContext = { requestId, method: req.method, pathTemplate: req.pathTemplate };
    const url = this.buildUrl(req, context);
    const pharmacyUid = req.pharmacyUid ?? this.pharmacyUid;
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    assertTimeout(timeoutMs);
    let body: string | undefined;
    if (req.body !== undefined) {
      if (req.requestSchema) {
        const checked = req.requestSchema.safeParse(req.body);
        if (!checked.success) {
          throw new RxScaleSchemaError(
            'request',
            'Request body does not match the contract',
            schemaIssues(checked.error),
            undefined,
            context,
          );
        }
      }
      body = JSON.stringify(req.body);
    }
    const headers: Record<string, string> = {
      ...this.contextHeaders?.(),
      'X-API-Key': this.apiKey,
      'X-Request-Id': requestId,
      Accept: 'application/json',
      'User-Agent': this.userAgent,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';

    const started = performance.now();
    // Waiting for tokens is the budget doing its job, not RxScale failing: it does not use up the retry cap.
    let budgetWaitMs = 0;
    for (let attempt = 1; ; attempt++) {
      const waitStarted = performance.now();
      try {
        await this.budget.take(req.priority, req.signal);
        budgetWaitMs += performance.now() - waitStarted;
      } catch (err) {
        if (req.signal?.aborted) throw abortReason(req.signal);
        if (err instanceof RxScaleError) throw err;
        throw new RxScaleBudgetError({ ...context, attempts: attempt - 1 }, err);
      }
      const event: RxScaleRequestEvent = {
        requestId,
        method: req.method,
        pathTemplate: req.pathTemplate,
        attempt,
        priority: req.priority,
        ...(pharmacyUid !== undefined ? { pharmacyUid } : {}),
      };
      safeHook(() => this.hooks.onRequest?.(event));
      const attemptStarted = performance.now();
      const attemptContext = { ...context, attempts: attempt };
      let status: number | undefined;
      try {
        const answer = await this.send(url, req.method, headers, body, timeoutMs, req.signal, attemptContext);
        status = answer.status;
        const value = parseAnswer(answer, req.responseSchema, attemptContext);
        safeHook(() =>
          this.hooks.onResponse?.({
            ...event,
            status,
            durationMs: performance.now() - attemptStarted,
            willRetry: false,
          }),
        );
        return value;
      } catch (err) {
        if (err instanceof RxScaleApiError) status = err.status;
        const willRetry = err instanceof RxScaleError && err.retryable && attempt < this.retry.maxAttempts;
        let delay = 0;
        let retrying = false;
        if (willRetry) {
          const retryAfterMs =
            'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : undefined;
          delay = backoffDelayMs(attempt, this.retry, retryAfterMs);
          retrying = performance.now() - started - budgetWaitMs + delay < this.retry.maxElapsedMs;
        }
        safeHook(() =>
          this.hooks.onResponse?.({
            ...event,
            ...(status !== undefined ? { status } : {}),
            durationMs: performance.now() - attemptStarted,
            errorClass: err instanceof Error ? err.constructor.name : typeof err,
            ...(err instanceof RxScaleError ? { errorCode: err.code } : {}),
            willRetry: retrying,
          }),
        );
        if (err instanceof RxScaleRateLimitError && this.budget.pause) {
          // Our accounting and RxScale's disagree (another consumer of the key, jitter): everyone sharing
          // the budget backs off, for Retry-After or else as long as the budget finds right.
          await this.budget.pause(err.retryAfterMs).catch(() => undefined);
        }
        if (!retrying) throw err;
        await abortableSleep(delay, req.signal);
      }
    }
  }

  private buildUrl(req: RxScaleRequest<unknown>, context: RxScaleErrorContext): URL {
    const path = req.pathTemplate.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = req.pathParams?.[name];
      if (value === undefined) {
        throw new RxScaleConfigError('path_param_missing', `Missing path parameter ${name}`, context);
      }
      assertUid(value, name, context);
      return encodeURIComponent(value);
    });
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    if (this.keyScope === 'group') {
      const uid = req.pharmacyUid ?? this.pharmacyUid;
      if (uid === undefined) {
        throw new RxScaleConfigError(
          'pharmacy_uid_required',
          'A group-wide RxScale key needs pharmacy_uid on every call; give pharmacyUid to the client or the call',
          context,
        );
      }
      assertUid(uid, 'pharmacyUid', context);
      url.searchParams.set('pharmacy_uid', uid);
    } else if (req.pharmacyUid !== undefined && req.pharmacyUid !== this.pharmacyUid) {
      // A single-pharmacy key always acts for its own pharmacy: naming another one is a mistake, not a choice.
      throw new RxScaleConfigError(
        'pharmacy_uid_not_allowed',
        'This RxScale key is single-pharmacy; a call cannot name another pharmacy',
        context,
      );
    }
    return url;
  }

  private async send(
    url: URL,
    method: HttpMethod,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    context: RxScaleErrorContext,
  ): Promise<{ status: number; text: string }> {
    if (signal?.aborted) throw abortReason(signal);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await fetch(url, {
        method,
        headers,
        body,
        signal: controller.signal,
        redirect: 'manual',
      });
      // The timeout covers reading the body too: a server that sends headers and then stalls is a timeout.
      const text = await response.text();
      if (response.status >= 200 && response.status < 300) return { status: response.status, text };
      throw apiErrorFor(response.status, text, parseRetryAfter(response.headers.get('retry-after')), context);
    } catch (err) {
      if (err instanceof RxScaleError) throw err;
      if (signal?.aborted) throw abortReason(signal);
      if (timedOut) throw new RxScaleTimeoutError(timeoutMs, context);
      throw new RxScaleConnectionError(context, err);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

function parseAnswer<T>(
  answer: { status: number; text: string },
  schema: z.ZodType<T>,
  context: RxScaleErrorContext,
): T {
  let json: unknown = undefined;
  if (answer.text.trim() !== '') {
    try {
      json = JSON.parse(answer.text);
    } catch {
      throw new RxScaleSchemaError(
        'response',
        'RxScale answered with a body that is not JSON',
        [{ path: '', code: 'invalid_json' }],
        answer.text,
        context,
        answer.status,
      );
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new RxScaleSchemaError(
      'response',
      'RxScale answer does not match the contract',
      schemaIssues(parsed.error),
      answer.text,
      context,
      answer.status,
    );
  }
  return parsed.data;
}

function assertUid(value: unknown, name: string, context?: RxScaleErrorContext): void {
  if (typeof value !== 'string' || !UID.test(value)) {
    throw new RxScaleConfigError(
      'uid_invalid',
      `${name} must be a non-empty uid without spaces or slashes`,
      context,
    );
  }
}

function assertTimeout(ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RxScaleConfigError('config_invalid', 'timeoutMs must be positive');
}

function safeHook(fn: () => void): void {
  try {
    fn();
  } catch {
    // A logging or metrics hook must never break a call.
  }
}

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
