import {
  PharmacyOrderCreatedEvent,
  PharmacyOrderUpdatedEvent,
  PharmacySkuStockUpdatedEvent,
  WebhookEnvelope,
  WebhookEventType,
  type WebhookEvent,
} from '@rxbridge/rxscale-contract';
import { RxScaleConfigError, RxScaleSchemaError, RxScaleWebhookError } from '../errors.js';
import { schemaIssues } from '../http/schema-issues.js';
import { verifyWebhookSignature } from './webhook-signature.js';
import { webhookDedupKey } from '../contract/index.js';

const EVENT_SCHEMAS = {
  pharmacy_order_created: PharmacyOrderCreatedEvent,
  pharmacy_order_updated: PharmacyOrderUpdatedEvent,
  pharmacy_sku_stock_updated: PharmacySkuStockUpdatedEvent,
} as const satisfies Record<WebhookEventType, unknown>;

export type ParsedWebhook =
  /** One of the three documented events, its `data` parsed by type. */
  | { kind: 'event'; event: WebhookEvent; dedupKey: string }
  /**
   * A well-formed envelope of a type this client does not know (RxScale added one): the gateway keeps
   * it (`rxscale.unrecognized.v1`) instead of dropping it. `dedupKey` is set when `data.uid` is a string.
   */
  | { kind: 'unrecognized'; envelope: WebhookEnvelope; dedupKey: string | undefined };

export interface WebhookAgeOptions {
  /** Refuse events whose envelope `timestamp` is older than this (off when absent). */
  maxAgeSeconds?: number;
  /** With maxAgeSeconds: refuse events more than this far in the future (default 300 s of clock skew). */
  maxFutureSkewSeconds?: number;
  /** Current time in ms (tests). */
  now?: number;
}

export interface VerifyWebhookOptions extends WebhookAgeOptions {
  /** Candidate signing secrets: the subscription's, or several while rotating. */
  secrets: string | readonly string[];
}

/**
 * The documented deduplication key (API.md §11.5), as defined once in the contract.
 * `timestamp` has one-second resolution: two changes of one order within a second share a key, which is
 * why consumers compare `updated_at` and fetch the current order before acting.
 */
export { webhookDedupKey };
/** Throws RxScaleWebhookError when the event is older (or further in the future) than allowed. */
export function assertWebhookAge(timestampSeconds: number, options: WebhookAgeOptions): void {
  if (options.maxAgeSeconds === undefined) return;
  if (!Number.isFinite(options.maxAgeSeconds) || options.maxAgeSeconds <= 0) {
    throw new RxScaleConfigError('config_invalid', 'maxAgeSeconds must be positive');
  }
  const nowSeconds = (options.now ?? Date.now()) / 1000;
  const age = nowSeconds - timestampSeconds;
  if (age > options.maxAgeSeconds) {
    throw new RxScaleWebhookError('event_too_old', `Webhook event is older than ${options.maxAgeSeconds} s`);
  }
  const skew = options.maxFutureSkewSeconds ?? 300;
  if (-age > skew) {
    throw new RxScaleWebhookError('event_from_future', `Webhook event is more than ${skew} s in the future`);
  }
}

/**
 * Parses a delivery body (raw bytes or already-parsed JSON) into an event: the envelope first, then the
 * data by `event_type`. A body that is not JSON or not an envelope, or a known type whose data breaks the
 * contract, is an RxScaleSchemaError (direction `webhook`) naming the bad field's path, never its value.
 * `eventHeader` (`X-Webhook-Event`), when given, must equal the body's `event_type`.
 */
export function parseWebhook(body: unknown, eventHeader?: string | readonly string[]): ParsedWebhook {
  let json: unknown = body;
  if (body instanceof Uint8Array) {
    try {
      json = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    } catch {
      throw new RxScaleSchemaError(
        'webhook',
        'Webhook body is not JSON',
        [{ path: '', code: 'invalid_json' }],
        undefined,
      );
    }
  }
  const envelope = WebhookEnvelope.safeParse(json);
  if (!envelope.success) {
    throw new RxScaleSchemaError(
      'webhook',
      'Webhook envelope does not match the contract',
      schemaIssues(envelope.error),
      undefined,
    );
  }
  if (eventHeader !== undefined && eventHeader !== envelope.data.event_type) {
    throw new RxScaleWebhookError('payload_invalid', 'X-Webhook-Event does not match the body’s event_type');
  }
  const type = WebhookEventType.safeParse(envelope.data.event_type);
  if (!type.success) {
    const data = envelope.data.data;
    const uid =
      data && typeof data === 'object' && 'uid' in data && typeof data.uid === 'string' && data.uid !== ''
        ? data.uid
        : undefined;
    return {
      kind: 'unrecognized',
      envelope: envelope.data,
      dedupKey:
        uid === undefined
          ? undefined
          : webhookDedupKey({
              event_type: envelope.data.event_type,
              timestamp: envelope.data.timestamp,
              data: { ...(data as Record<string, unknown>), uid },
            }),
    };
  }
  const parsed = EVENT_SCHEMAS[type.data].safeParse(json);
  if (!parsed.success) {
    throw new RxScaleSchemaError(
      'webhook',
      `Webhook ${type.data} does not match the contract`,
      schemaIssues(parsed.error),
      undefined,
    );
  }
  const event: WebhookEvent = parsed.data;
  return { kind: 'event', event, dedupKey: webhookDedupKey(event) };
}

/**
 * Everything a webhook endpoint does before acknowledging: verify the signature on the raw bytes against
 * the candidate secrets, parse the envelope and event, and check its age when asked. Throws
 * RxScaleWebhookError (bad signature, too old) or RxScaleSchemaError (bad payload); answer 401/400.
 */
export function verifyAndParseWebhook(
  rawBody: Uint8Array,
  headers: {
    signature: string | readonly string[] | undefined | null;
    event?: string | readonly string[] | undefined;
  },
  options: VerifyWebhookOptions,
): ParsedWebhook & { secretIndex: number } {
  const check = verifyWebhookSignature(rawBody, headers.signature, options.secrets);
  if (!check.valid) throw new RxScaleWebhookError('signature_invalid', `Webhook signature ${check.reason}`);
  const parsed = parseWebhook(rawBody, headers.event);
  assertWebhookAge(parsed.kind === 'event' ? parsed.event.timestamp : parsed.envelope.timestamp, options);
  return { ...parsed, secretIndex: check.secretIndex };
}
