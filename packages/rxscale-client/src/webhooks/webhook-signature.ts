import { createHmac, timingSafeEqual } from 'node:crypto';
import { RxScaleConfigError, RxScaleWebhookError } from '../errors.js';

export type WebhookSignatureResult =
  | {
      valid: true;
      /** Which of the candidate secrets matched (rotation: tells when the old one can go). */ secretIndex: number;
    }
  | { valid: false; reason: 'missing' | 'malformed' | 'mismatch' };

const SIGNATURE = /^[0-9a-fA-F]{64}$/;

/**
 * HMAC-SHA256 of the raw body, lowercase hex (API.md §11.4). The key is the UTF-8 bytes of the whole
 * `signing_secret` string, `whsec_` prefix included: the docs' own code uses the secret as-is.
 */
export function computeWebhookSignature(rawBody: Uint8Array, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

/**
 * Checks `X-Webhook-Signature` against every candidate secret (several during a rotation), on the raw
 * bytes exactly as received. The header must be exactly 64 hex digits: empty, odd-length, non-hex,
 * truncated or padded values are malformed. Comparison is constant-time, over the 32 decoded bytes,
 * and every secret is tried so the time does not tell which one matched.
 */
export function verifyWebhookSignature(
  rawBody: Uint8Array,
  signatureHeader: string | readonly string[] | undefined | null,
  secrets: string | readonly string[],
): WebhookSignatureResult {
  const candidates = typeof secrets === 'string' ? [secrets] : secrets;
  if (candidates.length === 0 || candidates.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new RxScaleConfigError(
      'config_invalid',
      'Webhook verification needs at least one non-empty secret',
    );
  }
  if (!(rawBody instanceof Uint8Array)) {
    throw new RxScaleConfigError(
      'config_invalid',
      'Webhook verification needs the raw body bytes (Buffer), not a parsed body',
    );
  }
  if (signatureHeader === undefined || signatureHeader === null || signatureHeader === '') {
    return { valid: false, reason: 'missing' };
  }
  // Node gives repeated headers as an array: two signatures on one delivery is not something RxScale sends.
  if (typeof signatureHeader !== 'string') return { valid: false, reason: 'malformed' };
  if (!SIGNATURE.test(signatureHeader)) return { valid: false, reason: 'malformed' };
  const given = Buffer.from(signatureHeader, 'hex');
  let matched = -1;
  candidates.forEach((secret, index) => {
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    if (expected.length === given.length && timingSafeEqual(expected, given) && matched < 0) matched = index;
  });
  return matched >= 0 ? { valid: true, secretIndex: matched } : { valid: false, reason: 'mismatch' };
}

/** As verifyWebhookSignature, but throws RxScaleWebhookError (code `signature_invalid`) when invalid. */
export function assertWebhookSignature(
  rawBody: Uint8Array,
  signatureHeader: string | readonly string[] | undefined | null,
  secrets: string | readonly string[],
): { secretIndex: number } {
  const result = verifyWebhookSignature(rawBody, signatureHeader, secrets);
  if (!result.valid) throw new RxScaleWebhookError('signature_invalid', `Webhook signature ${result.reason}`);
  return { secretIndex: result.secretIndex };
}
