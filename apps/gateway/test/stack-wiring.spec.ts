// What `npm start` does to connect the sandbox and the gateway (tools/stack/gateway-wiring.mjs), run here
// against a sandbox with the demo seed and a gateway on test topics: no secret is typed in anywhere.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { subscribeGatewayAtSandbox } from '@rxbridge/tools/stack/gateway-wiring';
import { RxScaleHeaders } from '../src/events/rxscale-cloud-event.js';
import {
  createTestTopics,
  deleteTopics,
  readTopic,
  sharedBrokers,
  startGateway,
  type TestTopics,
} from './support/gateway-harness.js';
import { freePort, waitFor } from '@rxbridge/testing';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const seedFile = 'apps/rxscale-sandbox/seed/demo-chain.json';

describe('the stack wiring of sandbox and gateway', () => {
  let sandbox: RunningSandbox;
  let topics: TestTopics;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, seed: join(root, seedFile), rateLimit: false, log: false });
    topics = await createTestTopics(sharedBrokers);
  });
  afterAll(async () => {
    await app?.close();
    await sandbox?.close();
    if (topics) await deleteTopics(sharedBrokers, topics);
  });

  it("subscribes the gateway to every demo pharmacy's events, so a new order lands on Kafka", async () => {
    const port = await freePort();
    const env = await subscribeGatewayAtSandbox({
      root,
      sandboxUrl: sandbox.url,
      gatewayWebhookUrl: `http://127.0.0.1:${port}/webhooks/rxscale`,
      seedFile,
    });
    const secrets = JSON.parse(env.GATEWAY_WEBHOOK_SECRETS!) as { default: Record<string, string[]> };
    expect(Object.keys(secrets.default).sort()).toEqual([
      'pharmacy_order_created',
      'pharmacy_order_updated',
      'pharmacy_sku_stock_updated',
    ]);
    ({ app } = await startGateway(sharedBrokers, topics, { ...env, HTTP_PORT: String(port) }));

    const res = await fetch(`${sandbox.adminUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        pharmacy_uid: 'ph-demo-markt',
        items: [{ pharmacy_sku_uid: 'psku-demo-2-010', amount: 1 }],
      }),
    });
    expect(res.status).toBe(201);
    const { uid } = (await res.json()) as { uid: string };
    const record = await waitFor(
      async () => (await readTopic(sharedBrokers, topics.pharmacyOrders)).find((r) => r.key === uid),
      'the order on the topic',
      { timeoutMs: 90_000 },
    );
    expect(record.headers[RxScaleHeaders.eventType]).toBe('pharmacy_order_created');
    expect(record.headers[RxScaleHeaders.source]).toBe('default');
  });
});
