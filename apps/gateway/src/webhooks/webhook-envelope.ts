import { z } from 'zod';

/**
 * The RxScale webhook envelope (API.md §11.3), parsed only after the signature held. `data` is kept
 * loose: the gateway forwards the raw bytes and needs only `uid` for the record key and the dedup key.
 * Seam to @rxbridge/rxscale-client's envelope parsing (issue 4), swapped in when it lands.
 */
export const WebhookEnvelopeSchema = z.looseObject({
  event_type: z.string().min(1),
  // Bounded so `new Date(timestamp * 1000)` stays a valid date.
  timestamp: z.number().int().nonnegative().max(8_640_000_000_000),
  payload_version: z.string().min(1).optional(),
  data: z.looseObject({ uid: z.string().min(1).optional() }),
});
export type WebhookEnvelope = z.infer<typeof WebhookEnvelopeSchema>;

export type EnvelopeParse = { ok: true; envelope: WebhookEnvelope } | { ok: false; reason: 'not_json' | 'not_an_envelope' };

export function parseWebhookEnvelope(rawBody: Buffer): EnvelopeParse {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  const parsed = WebhookEnvelopeSchema.safeParse(json);
  return parsed.success ? { ok: true, envelope: parsed.data } : { ok: false, reason: 'not_an_envelope' };
}

/** API.md §11.5: deliveries repeat; consumers deduplicate on event_type + timestamp + data.uid. */
export function webhookDedupKey(envelope: WebhookEnvelope): string {
  return `${envelope.event_type}:${envelope.timestamp}:${envelope.data.uid ?? ''}`;
}
