import { type ErrorCode } from '@rxbridge/contracts';
import { HttpException } from '@nestjs/common';

/** One field's problem: where it is and what is wrong, never the value that was sent. */
export interface ApiErrorDetail {
  /** Dotted path inside the body or query (`items.0.quantity`), or `(body)` for the whole of it. */
  field: string;
  /** zod's issue code (`invalid_type`, `too_small`, …) or the edge's own. */
  issue: string;
  message: string;
}

/** Every 4xx and 5xx body the edge sends. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: ApiErrorDetail[] };
}

/**
 * A refusal the edge itself decides (auth, parsing, idempotency), with the status, code and message the
 * client sees. Use cases throw domain errors with a code instead; see DomainErrorStatuses.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: ApiErrorDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * A service's domain error codes and the HTTP status each becomes (`{ order_not_found: 404,
 * order_closed: 409 }`). A domain error is any Error with a string `code` (PermanentError qualifies);
 * its `message` is shown to the caller, so it must name no patient data. A code missing here is a bug: it
 * answers 500 and is logged.
 */
export type DomainErrorStatuses = Readonly<Partial<Record<ErrorCode, number>>>;

export interface ErrorResponse {
  status: number;
  body: ApiErrorBody;
  headers: Record<string, string>;
  /** The failure was not one the edge or the service anticipated: log it. */
  unexpected: boolean;
}

// Nest's and Fastify's own messages quote the URL or the body ("Cannot GET /orders/123?name=…", JSON.parse
// snippets), so their refusals get these words instead.
const STANDARD: Record<number, [code: ErrorCode, message: string]> = {
  400: ['bad_request', 'the request is malformed'],
  401: ['unauthorized', 'a valid bearer token is required'],
  403: ['forbidden', 'the token does not allow this'],
  404: ['not_found', 'no such resource'],
  405: ['method_not_allowed', 'the method is not allowed here'],
  406: ['not_acceptable', 'the requested representation is not available'],
  408: ['request_timeout', 'the request took too long to arrive'],
  409: ['conflict', 'the request conflicts with the current state'],
  411: ['length_required', 'a content length is required'],
  413: ['payload_too_large', 'the request body is too large'],
  415: ['unsupported_media_type', 'the body must be application/json'],
  422: ['unprocessable', 'the request cannot be processed'],
  429: ['too_many_requests', 'too many requests'],
};

const INTERNAL: ErrorResponse = {
  status: 500,
  body: { error: { code: 'internal', message: 'the request failed; it may be retried' } },
  headers: {},
  unexpected: true,
};

function standard(status: number): ErrorResponse {
  if (status >= 500) return { ...INTERNAL, status, unexpected: status === 500 };
  const [code, message] = STANDARD[status] ?? ['bad_request', 'the request is malformed'];
  return { status, body: { error: { code, message } }, headers: {}, unexpected: false };
}

/** What the caller sees for a thrown value: the one translation of errors at the HTTP edge. */
export function toErrorResponse(exception: unknown, statuses: DomainErrorStatuses): ErrorResponse {
  if (exception instanceof ApiError) {
    const error: ApiErrorBody['error'] = { code: exception.code, message: exception.message };
    if (exception.details) error.details = exception.details;
    return { status: exception.status, body: { error }, headers: exception.headers, unexpected: false };
  }
  // Fastify's refusals (body too large, another media type, invalid JSON) reach the filter either as they
  // are or wrapped by Nest's adapter in an HttpException (as its cause); their messages are replaced.
  const fastifyError = isFastifyError(exception)
    ? exception
    : exception instanceof HttpException && isFastifyError(exception.cause)
      ? exception.cause
      : undefined;
  if (fastifyError) {
    if (fastifyError.statusCode === 400 && fastifyError.code.startsWith('FST_ERR_CTP_')) {
      return {
        status: 400,
        body: { error: { code: 'invalid_body', message: 'the body is not valid JSON' } },
        headers: {},
        unexpected: false,
      };
    }
    return standard(fastifyError.statusCode);
  }
  if (exception instanceof HttpException) return standard(exception.getStatus());
  if (exception instanceof Error) {
    const code = (exception as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(statuses, code)) {
      const status = statuses[code as ErrorCode]!;
      return {
        status,
        body: { error: { code, message: exception.message } },
        headers: {},
        unexpected: status >= 500,
      };
    }
  }
  return INTERNAL;
}

function isFastifyError(value: unknown): value is Error & { code: string; statusCode: number } {
  if (!(value instanceof Error)) return false;
  const { code, statusCode } = value as { code?: unknown; statusCode?: unknown };
  return typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number';
}
