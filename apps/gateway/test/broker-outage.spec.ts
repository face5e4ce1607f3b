// The broker goes away and comes back. This suite runs a broker of its own (port 19992, its own folder)
// so the shared broker other suites use is never stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startKafka, stopKafka } from '@rxbridge/tools/kafka';
import { RxScaleHeaders } from '../src/events/rxscale-cloud-event.js';
import { createTestTopics, orderEnvelope, post, readTopic, secrets, signedHeaders, startGateway, type TestTopics } from './support/gateway-harness.js';

jest.setTimeout(240_000);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const port = process.env.GATEWAY_TEST_KAFKA_PORT ?? '19992';
const brokers = `127.0.0.1:${port}`;
const home = mkdtempSync(join(tmpdir(), 'rxbridge-gateway-kafka-'));
const kafkaEnv = {
  KAFKA_BROKERS: undefined,
  RXBRIDGE_KAFKA_HOME: home,
  RXBRIDGE_KAFKA_PORT: port,
  RXBRIDGE_KAFKA_CACHE: join(root, 'tools', 'kafka', '.cache'),
  RXBRIDGE_KAFKA_HEAP: '256m',
};
const quiet = { env: kafkaEnv, log: () => {} };
const BUDGET_MS = 1500;
// RxScale gives up on a delivery after 5 s (API.md §11.5): the 503 must come well before that.
const RXSCALE_TIMEOUT_MS = 5000;

interface Delivery {
  body: string;
  dedupKey: string;
}

function delivery(): Delivery {
  const body = orderEnvelope();
  const env = JSON.parse(body) as { timestamp: number; data: { uid: string } };
  return { body, dedupKey: `pharmacy_order_created:${env.timestamp}:${env.data.uid}` };
}

async function deliver(url: string, d: Delivery): Promise<{ status: number; retryAfter: string | null; ms: number }> {
  const began = Date.now();
  const res = await post(url, d.body, signedHeaders(d.body, 'pharmacy_order_created', secrets.ordersNew));
  return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: Date.now() - began };
}

/**
 * Stands in for RxScale's redelivery (the sandbox's delivery worker is not on this branch yet): the same
 * bytes again, after Retry-After, until a 2xx.
 */
async function redeliverUntilAccepted(url: string, d: Delivery, retryAfterSeconds: number): Promise<number> {
  for (let attempt = 1; attempt <= 60; attempt++) {
    const r = await deliver(url, d);
    if (r.status >= 200 && r.status < 300) return attempt;
    await new Promise((res) => setTimeout(res, retryAfterSeconds * 1000));
  }
  throw new Error(`delivery ${d.dedupKey} never accepted`);
}

async function dedupKeysOn(topic: string): Promise<string[]> {
  return (await readTopic(brokers, topic)).map((r) => r.headers[RxScaleHeaders.dedupKey] ?? '');
}

describe('the gateway while its broker is away', () => {
  let topics: TestTopics;
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    await startKafka(quiet);
    topics = await createTestTopics(brokers);
    ({ app, url } = await startGateway(brokers, topics, { GATEWAY_PRODUCE_BUDGET_MS: String(BUDGET_MS), GATEWAY_RETRY_AFTER_SECONDS: '1' }));
  });
  afterAll(async () => {
    await app?.close();
    await stopKafka(quiet);
    rmSync(home, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After within the budget while stopped, and redelivery lands exactly the refused events', async () => {
    const before = Array.from({ length: 5 }, delivery);
    for (const d of before) expect((await deliver(url, d)).status).toBe(200);

    await stopKafka(quiet);
    const refused = Array.from({ length: 5 }, delivery);
    const answers = await Promise.all(refused.map((d) => deliver(url, d)));
    for (const a of answers) {
      expect(a.status).toBe(503);
      expect(a.retryAfter).toBe('1');
      expect(a.ms).toBeLessThan(RXSCALE_TIMEOUT_MS);
    }
    expect((await fetch(`${url}/health/ready`)).status).toBe(503);

    await startKafka(quiet);
    for (const d of refused) await redeliverUntilAccepted(url, d, 1);
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);

    const onTopic = await dedupKeysOn(topics.pharmacyOrders);
    const expected = [...before, ...refused].map((d) => d.dedupKey).sort();
    // Exactly the events sent, each at least once (a refused record already handed to Kafka may land twice).
    expect([...new Set(onTopic)].sort()).toEqual(expected);
  });

  it('keeps every request it answered 200 while the broker restarts under concurrent load', async () => {
    const accepted = new Set<string>();
    const statuses = new Map<number, number>();
    let running = true;
    const worker = async () => {
      while (running) {
        const d = delivery();
        const r = await deliver(url, d);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) accepted.add(d.dedupKey);
        else if (r.status !== 503) throw new Error(`unexpected status ${r.status}`);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 1000));
    await stopKafka(quiet);
    await new Promise((r) => setTimeout(r, 2000));
    await startKafka(quiet);
    const acceptedWhenBack = accepted.size;
    await new Promise((r) => setTimeout(r, 3000));
    running = false;
    await Promise.all(workers);

    expect(statuses.get(503)).toBeGreaterThan(0);
    expect(accepted.size).toBeGreaterThan(acceptedWhenBack);
    const onTopic = new Set(await dedupKeysOn(topics.pharmacyOrders));
    const missing = [...accepted].filter((k) => !onTopic.has(k));
    expect(missing).toEqual([]);
  });
});
