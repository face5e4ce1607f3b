import {
  buildRxScaleEvent,
  decodeRxScaleEvent,
  eventRoute,
  parseEvent,
  RxScaleUnrecognized,
  Topics,
  type ReceivedWebhook,
} from '../src/index.js';
import { ExampleWebhookBodies } from '../src/event-examples.js';

function webhook(body: string, extra: Partial<ReceivedWebhook> = {}): ReceivedWebhook {
  return {
    rawBody: Buffer.from(body, 'utf8'),
    receivedAt: new Date('2026-01-08T10:10:00.250Z'),
    source: 'https://api.rxscale.com',
    ...extra,
  };
}

function built(body: string, extra: Partial<ReceivedWebhook> = {}) {
  const result = buildRxScaleEvent(webhook(body, extra));
  if (!result.ok) throw result.error;
  return result;
}

describe('rxscale.* events', () => {
  it.each([
    ['pharmacy_order_created', Topics.rxscalePharmacyOrders.name, 'po-k4t9w2'],
    ['pharmacy_order_updated', Topics.rxscalePharmacyOrders.name, 'po-k4t9w2'],
    ['pharmacy_sku_stock_updated', Topics.rxscalePharmacySkus.name, 'psku-m51x'],
  ] as const)(
    'stores %s on %s keyed by data.uid, with the dedup key and the pharmacy',
    (eventType, topic, uid) => {
      const result = built(ExampleWebhookBodies[eventType], {
        signature: 'A'.repeat(64),
        subscription: 'sub-1',
      });
      const body = result.envelope.data as Record<string, string | number | null | undefined>;
      const fieldOf = (name: string) => {
        const v = body[name];
        return v === undefined || v === null ? '' : String(v);
      };
      expect(result.topic).toBe(topic);
      expect(result.key).toBe(uid);
      expect(result.event).toMatchObject({
        type: `rxscale.${eventType}`,
        subject: uid,
        rxscaleeventtype: eventType,
        rxscaledeliverykey: `${eventType}:${result.envelope.timestamp}:${fieldOf('updated_at')}:${fieldOf('status')}:${fieldOf('stock')}:${uid}`,
        time: new Date(result.envelope.timestamp * 1000).toISOString(),
        receivedat: '2026-01-08T10:10:00.250Z',
        rxscalesignature: 'a'.repeat(64),
        rxscalesubscription: 'sub-1',
        pharmacyuid: 'ph-7q2lnd',
      });
      expect(eventRoute(result.event)).toEqual({ topic, key: uid });
      const parsed = parseEvent(JSON.stringify(result.event), { topic });
      expect(parsed).toEqual({
        ok: true,
        event: result.event,
        webhook: { envelope: result.envelope, rawBody: Buffer.from(ExampleWebhookBodies[eventType]) },
      });
    },
  );

  it('keeps the body byte for byte, whitespace and escapes included, so the signature can be re-checked', () => {
    const body =
      '{ "event_type":"pharmacy_order_created",  "timestamp": 1767867000, "payload_version":"1",\n' +
      '  "data": {"uid":"po-\\u00e4x", "status":"waiting for pharmacy", "price": 1.50} }';
    const result = built(body);
    const decoded = decodeRxScaleEvent(result.event);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      expect(decoded.rawBody.equals(Buffer.from(body, 'utf8'))).toBe(true);
      expect(decoded.envelope.data.uid).toBe('po-äx');
    }
  });

  it('sends a signed webhook of an unknown type to rxscale.unrecognized.v1', () => {
    const result = built(ExampleWebhookBodies.unrecognized);
    expect(result.topic).toBe(Topics.rxscaleUnrecognized.name);
    expect(result.event.type).toBe('rxscale.pharmacy_payout_created');
    expect(result.event.dataschema).toBe(RxScaleUnrecognized.dataschema);
    const onItsTopic = parseEvent(JSON.stringify(result.event), { topic: Topics.rxscaleUnrecognized.name });
    expect(onItsTopic.ok).toBe(true);
    const elsewhere = parseEvent(JSON.stringify(result.event), { topic: Topics.rxscalePharmacyOrders.name });
    expect(elsewhere.ok || elsewhere.error.code).toBe('unknown_type');
  });

  describe('refuses what cannot be stored', () => {
    it.each([
      ['a body that is not JSON', '{"event_type":', 'not valid JSON'],
      [
        'a body without data.uid',
        '{"event_type":"pharmacy_order_created","timestamp":1,"data":{}}',
        'data.uid',
      ],
      [
        'a body without a timestamp',
        '{"event_type":"pharmacy_order_created","data":{"uid":"po-1"}}',
        'timestamp',
      ],
      ['a fractional timestamp', '{"event_type":"x","timestamp":1.5,"data":{"uid":"po-1"}}', 'timestamp'],
      ['an array', '[]', 'envelope is invalid'],
      [
        'a timestamp beyond any date',
        '{"event_type":"x","timestamp":99999999999999,"data":{"uid":"po-1"}}',
        'timestamp',
      ],
    ])('%s', (_name, body, expected) => {
      const result = buildRxScaleEvent(webhook(body));
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('invalid_webhook');
        expect(result.error.message).toContain(expected);
      }
    });

    it('a signature that is not a hex SHA-256', () => {
      const result = buildRxScaleEvent(
        webhook(ExampleWebhookBodies.pharmacy_order_created, { signature: 'nope' }),
      );
      expect(result.ok || result.error.message).toContain('rxscalesignature');
    });

    it('never quotes the body in an error', () => {
      const result = buildRxScaleEvent(
        webhook('{"event_type":"pharmacy_order_created","timestamp":"Jana Vogelsang","data":{"uid":"po-1"}}'),
      );
      expect(result.ok || result.error.message).not.toContain('Jana');
    });
  });

  describe(decodeRxScaleEvent.name, () => {
    it('notices attributes that no longer match the body', () => {
      const { event } = built(ExampleWebhookBodies.pharmacy_order_created);
      const decoded = decodeRxScaleEvent({ ...event, subject: 'po-other', rxscaledeliverykey: 'x' });
      expect(decoded.ok || decoded.error).toBe(
        'the body does not match the event attributes: subject, rxscaledeliverykey',
      );
    });

    it('reports a stored body that is not JSON', () => {
      const { event } = built(ExampleWebhookBodies.pharmacy_order_created);
      const decoded = decodeRxScaleEvent({
        ...event,
        data_base64: Buffer.from('not json').toString('base64'),
      });
      expect(decoded.ok || decoded.error).toBe('the webhook body is not valid JSON');
    });
  });

  it('parseEvent refuses a stored webhook whose body disagrees with its attributes', () => {
    const { event } = built(ExampleWebhookBodies.pharmacy_order_updated);
    const other = Buffer.from(ExampleWebhookBodies.pharmacy_order_created).toString('base64');
    const parsed = parseEvent({ ...event, data_base64: other }, { topic: Topics.rxscalePharmacyOrders.name });
    expect(parsed.ok || [parsed.error.code, parsed.error.message]).toEqual([
      'invalid_event',
      'the body does not match the event attributes: rxscaleeventtype, type, rxscaledeliverykey',
    ]);
  });

  it('parseEvent refuses a stored webhook without its body', () => {
    const { event } = built(ExampleWebhookBodies.pharmacy_order_updated);
    const { data_base64: _dropped, ...withoutBody } = event;
    const parsed = parseEvent(withoutBody, { topic: Topics.rxscalePharmacyOrders.name });
    expect(parsed.ok || parsed.error.message).toContain('data_base64');
  });
});
