// One hierarchy for everything the RxScale client can throw. Every error has a string `code` (stable, for
// logs and metrics) and `retryable` (transient vs permanent, so the Kafka runtime can choose between a
// retry later and the dead-letter queue). Messages carry only method, path template, status, request id
// and machine codes: never the API key, a signature, or response/request body values (the raw body is a
// property for whoever needs it and must not be logged wholesale: it may hold patient data).

export interface RxScaleErrorContext {
  /** The id this client generated for the logical request; the same on every attempt (`X-Request-Id`). */
  requestId?: string | undefined;
  method?: string | undefined;
  /** The path template, e.g. `/pharmacy_orders/{uid}/status`; never the filled-in path. */
  pathTemplate?: string | undefined;
  /** How many attempts were made before this error was thrown. */
  attempts?: number | undefined;
}

export class RxScaleError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly requestId: string | undefined;
  readonly method: string | undefined;
  readonly pathTemplate: string | undefined;
  readonly attempts: number | undefined;

  constructor(
    code: string,
    message: string,
    retryable: boolean,
    context: RxScaleErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
    this.requestId = context.requestId;
    this.method = context.method;
    this.pathTemplate = context.pathTemplate;
    this.attempts = context.attempts;
  }
}

function where(context: RxScaleErrorContext): string {
  const parts: string[] = [];
  if (context.method && context.pathTemplate) parts.push(`${context.method} ${context.pathTemplate}`);
  if (context.requestId) parts.push(`request ${context.requestId}`);
  if (context.attempts !== undefined) parts.push(`attempt ${context.attempts}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** The client was configured or called wrongly; nothing was sent. */
export class RxScaleConfigError extends RxScaleError {
  constructor(code: string, message: string, context: RxScaleErrorContext = {}) {
    super(code, `${message}${where(context)}`, false, context);
  }
}

/** The fields RxScale's error bodies may carry (API.md §5): a standard `error`, or an auth `code`/`description`. */
export interface RxScaleErrorFields {
  /** The standard shape's `error` text (e.g. "Resource not found"). Not put in the message: it may echo input. */
  errorMessage?: string | undefined;
  /** The auth shape's machine code (e.g. `invalid_api_key`, `permission_denied`). */
  authCode?: string | undefined;
  /** The auth shape's `description`. */
  authDescription?: string | undefined;
}

const MACHINE_CODE = /^[a-z][a-z0-9_]{0,63}$/;

/** RxScale answered with a non-2xx status. Subclasses per status; `status` is always set. */
export class RxScaleApiError extends RxScaleError {
  readonly status: number;
  readonly errorMessage: string | undefined;
  readonly authCode: string | undefined;
  readonly authDescription: string | undefined;
  /** The response body as received (may contain patient data: do not log it). */
  readonly rawBody: string;

  constructor(
    code: string,
    status: number,
    retryable: boolean,
    body: RxScaleErrorFields,
    rawBody: string,
    context: RxScaleErrorContext = {},
  ) {
    // Only a machine-shaped auth code goes into the message; free text stays in properties.
    const auth = body.authCode && MACHINE_CODE.test(body.authCode) ? ` ${body.authCode}` : '';
    super(code, `RxScale answered HTTP ${status}${auth}${where(context)}`, retryable, context);
    this.status = status;
    this.errorMessage = body.errorMessage;
    this.authCode = body.authCode;
    this.authDescription = body.authDescription;
    this.rawBody = rawBody;
  }
}

type ApiErrorArgs = [body: RxScaleErrorFields, rawBody: string, context?: RxScaleErrorContext];

/** 400: validation error, missing parameter or bad body. */
export class RxScaleBadRequestError extends RxScaleApiError {
  constructor(...[body, rawBody, context]: ApiErrorArgs) {
    super('bad_request', 400, false, body, rawBody, context);
  }
}
/** 401: key missing, unknown or inactive (`authCode` tells which). */
export class RxScaleAuthenticationError extends RxScaleApiError {
  constructor(...[body, rawBody, context]: ApiErrorArgs) {
    super('unauthorized', 401, false, body, rawBody, context);
  }
}
/** 403: the key lacks the permission for this endpoint. */
export class RxScalePermissionError extends RxScaleApiError {
  constructor(...[body, rawBody, context]: ApiErrorArgs) {
    super('permission_denied', 403, false, body, rawBody, context);
  }
}
/** 404: unknown uid **or** not accessible with this key (RxScale hides 403 behind 404, API.md §2). */
export class RxScaleNotFoundError extends RxScaleApiError {
  constructor(...[body, rawBody, context]: ApiErrorArgs) {
    super('not_found', 404, false, body, rawBody, context);
  }
}
/** 409: duplicate or conflicting state (e.g. a refused status transition). */
export class RxScaleConflictError extends RxScaleApiError {
  constructor(...[body, rawBody, context]: ApiErrorArgs) {
    super('conflict', 409, false, body, rawBody, context);
  }
}
/** 422: well-formed but invalid content (e.g. a refused status transition). */
export class RxScaleUnprocessableError extends RxScaleApiError {
  constructor(...[body, rawBody, context]: ApiErrorArgs) {
    super('unprocessable', 422, false, body, rawBody, context);
  }
}
/** 429: over RxScale's rate limit. `retryAfterMs` is set when the answer carried `Retry-After`. */
export class RxScaleRateLimitError extends RxScaleApiError {
  readonly retryAfterMs: number | undefined;
  constructor(
    body: RxScaleErrorFields,
    rawBody: string,
    retryAfterMs: number | undefined,
    context?: RxScaleErrorContext,
  ) {
    super('rate_limited', 429, true, body, rawBody, context);
    this.retryAfterMs = retryAfterMs;
  }
}
/** 5xx: RxScale failed; transient by assumption. */
export class RxScaleServerError extends RxScaleApiError {
  readonly retryAfterMs: number | undefined;
  constructor(
    status: number,
    body: RxScaleErrorFields,
    rawBody: string,
    retryAfterMs: number | undefined,
    context?: RxScaleErrorContext,
  ) {
    super('server_error', status, true, body, rawBody, context);
    this.retryAfterMs = retryAfterMs;
  }
}

/** The connection failed (refused, reset, DNS, TLS) before a complete answer arrived. */
export class RxScaleConnectionError extends RxScaleError {
  constructor(context: RxScaleErrorContext, cause: unknown) {
    const reason = describeCause(cause);
    super('connection_failed', `Could not reach RxScale${reason}${where(context)}`, true, context, { cause });
  }
}

/** No complete answer within the per-call timeout. */
export class RxScaleTimeoutError extends RxScaleError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, context: RxScaleErrorContext) {
    super('timeout', `RxScale did not answer within ${timeoutMs} ms${where(context)}`, true, context);
    this.timeoutMs = timeoutMs;
  }
}

/** One problem found by a schema: where (a path like `data[3].order.uid`) and what kind, never the value. */
export interface RxScaleSchemaIssue {
  path: string;
  code: string;
  expected?: string | undefined;
}

/**
 * No token could be taken because the budget's store failed (e.g. PostgreSQL unreachable). Nothing was sent;
 * transient for the caller, not retried by the client (the store is what failed, not RxScale).
 */
export class RxScaleBudgetError extends RxScaleError {
  constructor(context: RxScaleErrorContext, cause: unknown) {
    super(
      'budget_unavailable',
      `Rate budget unavailable${describeCause(cause)}${where(context)}`,
      true,
      context,
      {
        cause,
      },
    );
  }
}

/**
 * A 2xx answer (or a webhook payload) that is not what the contract says: not JSON, or a field we rely on
 * missing or of the wrong type. Permanent: retrying returns the same shape.
 */
export class RxScaleSchemaError extends RxScaleError {
  /** Which way the bad data went: a response from RxScale, a request we were about to send, a webhook. */
  readonly direction: 'response' | 'request' | 'webhook';
  readonly issues: RxScaleSchemaIssue[];
  /** The path of the first bad field (empty for a body that is not JSON at all). */
  readonly path: string;
  readonly rawBody: string | undefined;
  readonly status: number | undefined;

  constructor(
    direction: 'response' | 'request' | 'webhook',
    what: string,
    issues: RxScaleSchemaIssue[],
    rawBody: string | undefined,
    context: RxScaleErrorContext = {},
    status?: number,
  ) {
    const shown = issues
      .slice(0, 5)
      .map((i) => `${i.path || '(root)'}: ${i.code}${i.expected ? ` (expected ${i.expected})` : ''}`)
      .join('; ');
    const more = issues.length > 5 ? ` and ${issues.length - 5} more` : '';
    super(
      direction === 'request' ? 'request_invalid' : 'schema_mismatch',
      `${what}: ${shown}${more}${where(context)}`,
      false,
      context,
    );
    this.direction = direction;
    this.issues = issues;
    this.path = issues[0]?.path ?? '';
    this.rawBody = rawBody;
    this.status = status;
  }
}

/** A webhook delivery that must be rejected: bad or missing signature, malformed or too old envelope. */
export class RxScaleWebhookError extends RxScaleError {
  constructor(
    code: 'signature_invalid' | 'payload_invalid' | 'event_too_old' | 'event_from_future',
    message: string,
  ) {
    super(code, message, false);
  }
}

function describeCause(cause: unknown): string {
  // Node's fetch wraps the socket error in `cause`; its code (ECONNREFUSED, UND_ERR_SOCKET...) is safe to show.
  // (Duck-typed: the error may come from another realm, where instanceof Error is false.)
  let current: unknown = cause;
  for (let depth = 0; depth < 3 && current && typeof current === 'object'; depth++) {
    if (
      'code' in current &&
      typeof current.code === 'string' &&
      /^[A-Z][A-Z0-9_]{1,40}$/.test(current.code)
    ) {
      return ` (${current.code})`;
    }
    current = 'cause' in current ? current.cause : undefined;
  }
  return '';
}

/** Builds the error for a non-2xx answer, by status (API.md §5). */
export function apiErrorFor(
  status: number,
  rawBody: string,
  retryAfterMs: number | undefined,
  context: RxScaleErrorContext,
): RxScaleApiError {
  const body = parseErrorBody(rawBody);
  switch (status) {
    case 400:
      return new RxScaleBadRequestError(body, rawBody, context);
    case 401:
      return new RxScaleAuthenticationError(body, rawBody, context);
    case 403:
      return new RxScalePermissionError(body, rawBody, context);
    case 404:
      return new RxScaleNotFoundError(body, rawBody, context);
    case 409:
      return new RxScaleConflictError(body, rawBody, context);
    case 422:
      return new RxScaleUnprocessableError(body, rawBody, context);
    case 429:
      return new RxScaleRateLimitError(body, rawBody, retryAfterMs, context);
    default:
      if (status >= 500) return new RxScaleServerError(status, body, rawBody, retryAfterMs, context);
      // 408 is the server giving up on a slow request: worth another attempt. Any other 4xx/3xx is not.
      return new RxScaleApiError(
        status === 408 ? 'request_timeout' : `http_${status}`,
        status,
        status === 408,
        body,
        rawBody,
        context,
      );
  }
}

function parseErrorBody(rawBody: string): RxScaleErrorFields {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
  const record = parsed as Record<string, unknown>;
  return {
    errorMessage: typeof record.error === 'string' ? record.error : undefined,
    authCode: typeof record.code === 'string' ? record.code : undefined,
    authDescription: typeof record.description === 'string' ? record.description : undefined,
  };
}
