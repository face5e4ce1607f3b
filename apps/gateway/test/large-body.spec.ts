import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  createTestTopics,
  deleteTopics,
  orderEnvelope,
  post,
  readTopic,
  secrets,
  sharedBrokers,
  signedHeaders,
  startGateway,
  type TestTopics,
} from './support/gateway-harness.js';

// A webhook just under the default 1 MiB body limit becomes a ~1.4 MiB record (base64 inside the
// CloudEvent). The catalog's record size limit for rxscale.* topics must let it in, or RxScale would
// redeliver it forever and it would never be stored.
describe('the gateway with a body near its default size limit', () => {
  let topics: TestTopics;
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    topics = await createTestTopics(sharedBrokers);
    ({ app, url } = await startGateway(sharedBrokers, topics));
  });
  afterAll(async () => {
    await app?.close();
    if (topics) await deleteTopics(sharedBrokers, topics);
  });

  it('stores a signed body of almost 1 MiB byte for byte and answers 200', async () => {
    const base = JSON.parse(orderEnvelope()) as { data: Record<string, unknown> };
    // Invented filler in an unknown field: RxScale's objects may carry fields we do not know.
    base.data.notes = 'x'.repeat(1024 * 1024 - 2048);
    const body = JSON.stringify(base);
    expect(body.length).toBeLessThan(1024 * 1024);
    const res = await post(url, body, signedHeaders(body, 'pharmacy_order_created', secrets.ordersNew));
    expect(res.status).toBe(200);
    const [record] = await readTopic(sharedBrokers, topics.pharmacyOrders);
    const event = JSON.parse(record!.value) as { data_base64: string };
    expect(Buffer.from(event.data_base64, 'base64').equals(Buffer.from(body))).toBe(true);
  });
});
