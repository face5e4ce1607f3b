import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The seam to @rxbridge/rxscale-client's webhook verification (issue 4). The gateway depends only on
 * this shape; the adapter below is replaced by the client's verifier once that lands.
 */
export type VerifyWebhookSignature = (rawBody: Buffer, signature: string | undefined, secrets: readonly string[]) => boolean;

export const VERIFY_WEBHOOK_SIGNATURE = Symbol('VERIFY_WEBHOOK_SIGNATURE');

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** API.md §11.4: lowercase hex HMAC-SHA256 of the raw body, keyed by the secret string as is. */
export const verifyWebhookSignature: VerifyWebhookSignature = (rawBody, signature, secrets) => {
  if (!signature || !HEX_SHA256.test(signature)) return false;
  const given = Buffer.from(signature.toLowerCase(), 'utf8');
  let ok = false;
  // Every candidate is computed and compared, so the time taken does not tell which one matched.
  for (const secret of secrets) {
    const expected = Buffer.from(createHmac('sha256', secret).update(rawBody).digest('hex'), 'utf8');
    ok = timingSafeEqual(expected, given) || ok;
  }
  return ok;
};
