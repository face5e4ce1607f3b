import {
  RxScaleAuthenticationError,
  RxScaleConnectionError,
  RxScaleNotFoundError,
  RxScaleRateLimitError,
  RxScaleSchemaError,
  RxScaleServerError,
  RxScaleTimeoutError,
} from '@rxbridge/rxscale-client';
import { toErrorResponse } from '@rxbridge/service-kit';
import { rxscaleReadRefusal } from './rxscale-read-refusal.js';

// What the REST caller sees, through the edge's own translation of the thrown ApiError.
function answer(error: Parameters<typeof rxscaleReadRefusal>[0]) {
  const { status, body, headers } = toErrorResponse(rxscaleReadRefusal(error, 'the prescription file'), {});
  return { status, code: body.error.code, message: body.error.message, retryAfter: headers['retry-after'] };
}

const ctx = { method: 'GET', pathTemplate: '/pharmacy_orders/{uid}', requestId: 'req-1' };
const patientEcho = '{"error":"Jana Vogelsang not found"}';

describe(rxscaleReadRefusal.name, () => {
  it("answers 503 with retry-after for what a later try may fix, RxScale's own retry-after when it sent one", () => {
    expect(answer(new RxScaleServerError(503, {}, '', undefined, ctx))).toMatchObject({
      status: 503,
      code: 'rxscale_unavailable',
      retryAfter: '5',
    });
    expect(answer(new RxScaleRateLimitError({}, '', 12_300, ctx))).toMatchObject({
      status: 503,
      retryAfter: '13',
    });
    expect(answer(new RxScaleRateLimitError({}, '', 0, ctx))).toMatchObject({ retryAfter: '1' });
    expect(answer(new RxScaleTimeoutError(8000, ctx))).toMatchObject({
      status: 503,
      code: 'rxscale_unavailable',
    });
    expect(answer(new RxScaleConnectionError(ctx, new Error('ECONNREFUSED')))).toMatchObject({ status: 503 });
  });

  it('answers 502 when RxScale refused the read, naming codes and never its answer', () => {
    const gone = answer(new RxScaleNotFoundError({ errorMessage: 'Jana Vogelsang' }, patientEcho, ctx));
    expect(gone).toMatchObject({ status: 502, code: 'rxscale_order_not_found', retryAfter: undefined });
    const key = answer(new RxScaleAuthenticationError({}, patientEcho, ctx));
    expect(key).toMatchObject({ status: 502, code: 'rxscale_read_failed' });
    expect(key.message).toBe('RxScale refused the prescription file (unauthorized); nothing was changed');
    const shape = answer(
      new RxScaleSchemaError(
        'response',
        'the order',
        [{ path: 'uid', code: 'invalid_type' }],
        patientEcho,
        ctx,
      ),
    );
    expect(shape).toMatchObject({ status: 502, code: 'rxscale_read_failed' });
    expect(JSON.stringify([gone, key, shape])).not.toContain('Vogelsang');
  });
});
