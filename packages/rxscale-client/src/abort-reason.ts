/**
 * What a call rejects with when its AbortSignal fires: the signal's own reason when it is an Error (so the
 * caller recognises what it aborted with), else an `AbortError` carrying the reason as `cause`.
 */
export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('The operation was aborted', { cause: reason });
  error.name = 'AbortError';
  return error;
}
