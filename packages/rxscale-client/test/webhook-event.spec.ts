import { RxScaleSchemaError, RxScaleWebhookError } from '../src/errors.js';
import {
  assertWebhookAge,
  parseWebhook,
  verifyAndParseWebhook,
  webhookDedupKey,
} from '../src/webhooks/webhook-event.js';
import { computeWebhookSignature } from '../src/webhooks/webhook-signature.js';

const SECRET = 'whsec_TEST0nly9fQe2LmZ7xKc41';

const order = {
  uid: 'po-k4t9w2',
  status: 'waiting for pharmacy',
  name: 'PO-R7QX-2LMC-83VD',
  data: {},
  external_status: 'OPEN',
  created_at: 1736330000,
  updated_at: 1736330950,
  deleted_at: null,
  pharmacy: { uid: 'ph-7q2lnd', display_name: 'Apotheke am Lindenplatz' },
  order: {
    uid: 'ord-3b81fe',
    delivery_address: {
      first_name: 'Jana',
      last_name: 'Vogelsang',
      street: 'Karl-Liebknecht-Str.',
      house_number: '42a',
      zip_code: '04107',
      city: 'Leipzig',
      country: 'Germany',
      additional_address: '2. OG',
    },
    invoice_address: {
      first_name: 'Jana',
      last_name: 'Vogelsang',
      street: 'Prager Str.',
      house_number: '7',
      zip_code: '04103',
      city: 'Leipzig',
      country: 'Germany',
      additional_address: null,
    },
    priority: 2,
  },
  delivery_type: { uid: 'dt-gls', display_name: 'Versand GLS', identifier: 'shipping' },
  order_items: [
    {
      uid: 'oi-5520a',
      amount: 2,
      sku: { uid: 'sku-ibu400', display_name: 'Ibuprofen', pzn: '06312077' },
      pharmacy_sku: null,
    },
  ],
  patient_data: {
    uid: 'pat-e90d1',
    display_name: 'Jana Vogelsang',
    email: 'j.vogelsang@example.org',
    date_of_birth: '1984-07-02',
  },
  some_future_field: { kept: true },
};
const created = {
  event_type: 'pharmacy_order_created',
  timestamp: 1736331000,
  payload_version: '1',
  data: order,
};
const raw = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('webhook events', () => {
  it('parses each documented event type and computes the dedup key', () => {
    const c = parseWebhook(raw(created));
    expect(c).toMatchObject({
      kind: 'event',
      dedupKey: 'pharmacy_order_created:1736331000:1736330950:waiting for pharmacy::po-k4t9w2',
    });
    const u = parseWebhook({
      ...created,
      event_type: 'pharmacy_order_updated',
      data: { ...order, status: 'cancelled' },
    });
    expect(u.kind === 'event' && u.event.event_type === 'pharmacy_order_updated' && u.event.data.status).toBe(
      'cancelled',
    );
    const s = parseWebhook(
      raw({
        event_type: 'pharmacy_sku_stock_updated',
        timestamp: 1736418000,
        payload_version: '1',
        data: {
          uid: 'psku-m51x',
          external_id: null,
          price: 2349,
          stock: 10,
          pharmacy: 'ph-7q2lnd',
          sku: { uid: 'sku-ibu400' },
        },
      }),
    );
    expect(s).toMatchObject({
      kind: 'event',
      dedupKey: 'pharmacy_sku_stock_updated:1736418000:::10:psku-m51x',
    });
    expect(webhookDedupKey({ event_type: 'x', timestamp: 1, data: { uid: 'a:b' } })).toBe('x:1::::a:b');
  });

  it('tells two changes of one order within the same second apart, and repeats the key for a redelivery', () => {
    const echo = {
      event_type: 'pharmacy_order_updated',
      timestamp: 1736417400,
      data: { uid: 'po-1', status: 'pending review', updated_at: 1736417400 },
    };
    const cancel = { ...echo, data: { ...echo.data, status: 'cancelled' } };
    expect(webhookDedupKey(echo)).toBe('pharmacy_order_updated:1736417400:1736417400:pending review::po-1');
    expect(webhookDedupKey(cancel)).not.toBe(webhookDedupKey(echo));
    expect(webhookDedupKey(structuredClone(cancel))).toBe(webhookDedupKey(cancel));
    const stockA = {
      event_type: 'pharmacy_sku_stock_updated',
      timestamp: 5,
      data: { uid: 'psku-1', stock: 3 },
    };
    expect(webhookDedupKey({ ...stockA, data: { ...stockA.data, stock: 4 } })).not.toBe(
      webhookDedupKey(stockA),
    );
    // a value holding ':' cannot shift the uid: the key still ends with it
    expect(webhookDedupKey({ event_type: 'x', timestamp: 1, data: { uid: 'u', status: 'a:b' } })).toBe(
      'x:1::ab::u',
    );
  });

  it('keeps a well-formed envelope of an unknown type as unrecognized instead of failing', () => {
    const result = parseWebhook(
      raw({
        event_type: 'pharmacy_payout_routed',
        timestamp: 1736331000,
        payload_version: '1',
        data: { uid: 'pay-1' },
      }),
    );
    expect(result).toMatchObject({
      kind: 'unrecognized',
      dedupKey: 'pharmacy_payout_routed:1736331000::::pay-1',
    });
  });

  it('names the bad field of a known event, never the patient data around it', () => {
    const bad = { ...created, data: { ...order, order: { ...order.order, uid: 42 } } };
    let error: unknown;
    try {
      parseWebhook(raw(bad));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RxScaleSchemaError);
    expect(error).toMatchObject({ direction: 'webhook', path: 'data.order.uid', retryable: false });
    expect((error as Error).message).not.toContain('Vogelsang');
  });

  it('refuses bodies that are not JSON or not an envelope, and a mismatching X-Webhook-Event', () => {
    expect(() => parseWebhook(Buffer.from('{"event_type":'))).toThrow(RxScaleSchemaError);
    expect(() => parseWebhook(raw({ event_type: 'pharmacy_order_created', data: order }))).toThrow(
      'timestamp',
    );
    expect(() => parseWebhook(raw(created), 'pharmacy_order_updated')).toThrow(RxScaleWebhookError);
  });

  it('checks the event age only when asked', () => {
    const now = 1736331000 * 1000;
    expect(() => assertWebhookAge(1736331000 - 3600, { now })).not.toThrow();
    expect(() => assertWebhookAge(1736331000 - 301, { maxAgeSeconds: 300, now })).toThrow(
      expect.objectContaining({ code: 'event_too_old' }) as Error,
    );
    expect(() => assertWebhookAge(1736331000 + 600, { maxAgeSeconds: 300, now })).toThrow(
      expect.objectContaining({ code: 'event_from_future' }) as Error,
    );
    expect(() => assertWebhookAge(1736331000 - 10, { maxAgeSeconds: 300, now })).not.toThrow();
  });

  it('verifies, parses and age-checks a delivery in one step', () => {
    const body = raw(created);
    const signature = computeWebhookSignature(body, SECRET);
    const now = (created.timestamp + 5) * 1000;
    const result = verifyAndParseWebhook(
      body,
      { signature, event: 'pharmacy_order_created' },
      { secrets: ['whsec_other', SECRET], maxAgeSeconds: 60, now },
    );
    expect(result).toMatchObject({ kind: 'event', secretIndex: 1 });
    expect(() => verifyAndParseWebhook(body, { signature: undefined }, { secrets: SECRET })).toThrow(
      expect.objectContaining({ code: 'signature_invalid' }) as Error,
    );
    expect(() =>
      verifyAndParseWebhook(body, { signature }, { secrets: SECRET, maxAgeSeconds: 60, now: now + 120_000 }),
    ).toThrow(expect.objectContaining({ code: 'event_too_old' }) as Error);
  });
});
