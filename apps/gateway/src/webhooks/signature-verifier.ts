import { verifyWebhookSignature } from '@rxbridge/rxscale-client';

/**
 * The gateway's seam to the client's webhook verification (API.md §11.4: HMAC-SHA256 of the raw bytes,
 * constant time, every candidate secret tried). Tests and benchmarks may swap the implementation.
 */
export type VerifyWebhookSignature = (
  rawBody: Buffer,
  signature: string | undefined,
  secrets: readonly string[],
) => boolean;

export const VERIFY_WEBHOOK_SIGNATURE = Symbol('VERIFY_WEBHOOK_SIGNATURE');

export const verifyWithRxScaleClient: VerifyWebhookSignature = (rawBody, signature, secrets) =>
  verifyWebhookSignature(rawBody, signature, secrets).valid;
