import { RxScaleError, RxScaleNotFoundError } from '@rxbridge/rxscale-client';
import { ApiError } from '@rxbridge/service-kit';

const DEFAULT_RETRY_AFTER_S = 5;

/**
 * What a REST caller sees when a read of RxScale that its request needed failed, so that no such failure
 * becomes a 500: 503 with `retry-after` when the failure is transient (429, 5xx, timeout, no connection, the
 * budget's store down), 502 when RxScale refused the read. `what` names the read in the message ("the
 * re-read of the order"); the message names codes only, never a value from RxScale's answer.
 */
export function rxscaleReadRefusal(error: RxScaleError, what: string): ApiError {
  if (error instanceof RxScaleNotFoundError)
    return new ApiError(
      502,
      'rxscale_order_not_found',
      "RxScale does not show the order under the pharmacy's API key; nothing was changed",
    );
  if (error.retryable) {
    const retryAfterMs = (error as { retryAfterMs?: number }).retryAfterMs;
    const seconds =
      retryAfterMs === undefined ? DEFAULT_RETRY_AFTER_S : Math.max(1, Math.ceil(retryAfterMs / 1000));
    return new ApiError(
      503,
      'rxscale_unavailable',
      `RxScale could not be reached for ${what} (${error.code}); nothing was changed, retry later`,
      undefined,
      { 'retry-after': String(seconds) },
    );
  }
  return new ApiError(
    502,
    'rxscale_read_failed',
    `RxScale refused ${what} (${error.code}); nothing was changed`,
  );
}
