// The order of the gateway's checks, without a broker: a recording producer port stands where the Kafka
// producers go (GatewayModule's WEBHOOK_PRODUCER), so every refusal can be shown to produce nothing. Each
// request below fails the check under test and every later one, so only the order makes it pass. The real
// broker's tests (webhook-ingest.spec.ts) cover the same statuses end to end.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HealthCheck } from '@rxbridge/service-kit';
import type { Message } from 'kafkajs';
import type { WebhookProducer } from '../src/kafka/kafka-ingest.producer.js';
import {
  orderEnvelope,
  post,
  secrets,
  sharedBrokers,
  sign,
  signedHeaders,
  startGateway,
  type TestTopics,
} from './support/gateway-harness.js';

class RecordingProducer implements WebhookProducer {
  readonly records: { topic: string; message: Message }[] = [];
  failure: Error | undefined;

  produce(topic: string, message: Message): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    this.records.push({ topic, message });
    return Promise.resolve();
  }

  readinessCheck(): HealthCheck {
    return { name: 'recording-producer', check: () => Promise.resolve() };
  }
}

const topics: TestTopics = {
  pharmacyOrders: 'check-order.pharmacy-orders',
  pharmacySkus: 'check-order.pharmacy-skus',
  unrecognized: 'check-order.unrecognized',
};
const LIMIT = 1024;
const oversized = `{"pad":"${'x'.repeat(LIMIT * 2)}"}`;
const notJson = 'this is not json';

describe('the gateway check order (no broker: a recording producer port)', () => {
  const producer = new RecordingProducer();
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startGateway(
      sharedBrokers,
      topics,
      { GATEWAY_BODY_LIMIT_BYTES: String(LIMIT), GATEWAY_MAX_EVENT_AGE_SECONDS: '600' },
      undefined,
      producer,
    ));
  });
  afterAll(async () => {
    await app?.close();
  });
  afterEach(() => {
    producer.failure = undefined;
  });

  describe('refusals, each checked before everything after it', () => {
    const oldTimestamp = () => Math.floor(Date.now() / 1000) - 3600;
    const cases: { name: string; status: number; error: string; send: () => ReturnType<typeof post> }[] = [
      {
        name: 'an unknown source, before content type and size',
        status: 404,
        error: 'not_found',
        send: () => post(url, oversized, { 'content-type': 'text/plain' }, '/webhooks/rxscale/nobody'),
      },
      {
        name: 'another content type, before size',
        status: 415,
        error: 'unsupported_media_type',
        send: () => post(url, oversized, { 'content-type': 'text/plain' }),
      },
      {
        name: 'a body over the limit, before the event header',
        status: 413,
        error: 'payload_too_large',
        send: () => post(url, oversized, { 'content-type': 'application/json' }),
      },
      {
        name: 'no X-Webhook-Event, before the signature',
        status: 400,
        error: 'bad_request',
        send: () => post(url, notJson, { 'content-type': 'application/json', 'x-webhook-signature': 'f00' }),
      },
      {
        name: 'a bad signature, before the body is read as JSON',
        status: 401,
        error: 'unauthorized',
        send: () =>
          post(url, notJson, {
            'content-type': 'application/json',
            'x-webhook-event': 'pharmacy_order_created',
            'x-webhook-signature': sign(notJson, 'whsec_not_a_configured_secret'),
          }),
      },
      {
        name: 'a signed body that is not an envelope',
        status: 400,
        error: 'bad_request',
        send: () => post(url, notJson, signedHeaders(notJson, 'pharmacy_order_created', secrets.ordersNew)),
      },
      {
        name: 'an envelope whose type disagrees with the header, before its age',
        status: 400,
        error: 'bad_request',
        send: () => {
          const body = orderEnvelope('pharmacy_order_updated').replace(
            /"timestamp":\d+/,
            `"timestamp":${oldTimestamp()}`,
          );
          return post(url, body, signedHeaders(body, 'pharmacy_order_created', secrets.ordersNew));
        },
      },
      {
        name: 'an envelope outside the age window',
        status: 400,
        error: 'bad_request',
        send: () => {
          const body = orderEnvelope().replace(/"timestamp":\d+/, `"timestamp":${oldTimestamp()}`);
          return post(url, body, signedHeaders(body, 'pharmacy_order_created', secrets.ordersNew));
        },
      },
    ];

    it.each(cases.map((c) => [c.name, c]))('%s', async (_, c) => {
      const res = await c.send();
      expect([res.status, (JSON.parse(res.text) as { error?: string }).error]).toEqual([c.status, c.error]);
      expect(producer.records).toHaveLength(0);
    });

    it('tells a forger nothing about why the signature failed', async () => {
      const res = await post(url, notJson, {
        'content-type': 'application/json',
        'x-webhook-event': 'pharmacy_order_created',
      });
      expect(res.status).toBe(401);
      expect(JSON.parse(res.text)).toEqual({ status: 'error', error: 'unauthorized' });
    });

    it('tells the kinds of 400 apart by their message', async () => {
      const messages = [];
      for (const c of cases.filter((x) => x.status === 400))
        messages.push((JSON.parse((await c.send()).text) as { message: string }).message);
      expect(messages).toEqual([
        'X-Webhook-Event header is required',
        'body is not an RxScale webhook envelope',
        'event_type does not match X-Webhook-Event',
        'event timestamp is outside the accepted age',
      ]);
    });
  });

  describe('what passes every check', () => {
    it('is handed to the producer once, on its topic and keyed by data.uid, then answered 200', async () => {
      const body = orderEnvelope('pharmacy_order_created', 'po-check-order-1');
      const res = await post(url, body, signedHeaders(body, 'pharmacy_order_created', secrets.ordersNew));
      expect(res.status).toBe(200);
      expect(producer.records.map((r) => [r.topic, r.message.key])).toEqual([
        [topics.pharmacyOrders, 'po-check-order-1'],
      ]);
      producer.records.length = 0;
    });

    it('goes to the unrecognized topic with 202 when its type is unknown but a secret of the source signed it', async () => {
      const body = JSON.stringify({
        event_type: 'pharmacy_thing_invented',
        timestamp: Math.floor(Date.now() / 1000),
        payload_version: '1',
        data: { uid: 'thing-1' },
      });
      const res = await post(url, body, signedHeaders(body, 'pharmacy_thing_invented', secrets.skus));
      expect(res.status).toBe(202);
      expect(producer.records.map((r) => r.topic)).toEqual([topics.unrecognized]);
      producer.records.length = 0;
    });

    it('is answered 503 with Retry-After when the producer does not store it', async () => {
      producer.failure = new Error('not acknowledged in time');
      const body = orderEnvelope();
      const res = await post(url, body, signedHeaders(body, 'pharmacy_order_created', secrets.ordersNew));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(producer.records).toHaveLength(0);
    });
  });
});
