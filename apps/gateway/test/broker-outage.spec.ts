// The broker goes away and comes back. This suite runs a broker of its own (a free port, its own folder)
// so the shared broker other suites use is never stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jest } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startKafka, stopKafka } from '@rxbridge/tools/kafka';
import { webhookDedupKey } from '@rxbridge/rxscale-client';
import { RxScaleHeaders } from '../src/events/rxscale-cloud-event.js';
import {
  createTestTopics,
  orderEnvelope,
  post,
  readTopic,
  secrets,
  signedHeaders,
  startGateway,
  webhookSecretsEnv,
  type TestTopics,
} from './support/gateway-harness.js';
import { freePort, isPortFree, waitFor } from '@rxbridge/testing';
import { startSandboxPeer, type SandboxPeer } from './support/sandbox-peer.js';

jest.setTimeout(240_000);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// A port free now, not a fixed one: a broker another run left on a fixed port answered in place of this
// suite's own and the outage never happened. The controller listens on the next port.
const port = String(process.env.GATEWAY_TEST_KAFKA_PORT ?? (await freePortPair()));
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

/** A free port whose successor is free too (the broker's controller takes port + 1). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p < 65535 && (await isPortFree(p + 1))) return p;
  }
}
const BUDGET_MS = 1500;
// RxScale gives up on a delivery after 5 s (API.md §11.5): the 503 must come well before that.
const RXSCALE_TIMEOUT_MS = 5000;

interface Delivery {
  body: string;
  dedupKey: string;
}

function delivery(): Delivery {
  const body = orderEnvelope();
  return { body, dedupKey: webhookDedupKey(JSON.parse(body) as Parameters<typeof webhookDedupKey>[0]) };
}

async function deliver(
  url: string,
  d: Delivery,
): Promise<{ status: number; retryAfter: string | null; ms: number }> {
  const began = Date.now();
  const res = await post(url, d.body, signedHeaders(d.body, 'pharmacy_order_created', secrets.ordersNew));
  return { status: res.status, retryAfter: res.headers.get('retry-after'), ms: Date.now() - began };
}

async function dedupKeysOn(topic: string): Promise<string[]> {
  return (await readTopic(brokers, topic)).map((r) => r.headers[RxScaleHeaders.dedupKey] ?? '');
}

describe('the gateway while its broker is away', () => {
  let topics: TestTopics;
  let app: NestFastifyApplication;
  let url: string;
  let peer: SandboxPeer;

  beforeAll(async () => {
    await startKafka(quiet);
    topics = await createTestTopics(brokers);
    peer = await startSandboxPeer();
    // The gateway holds both the sandbox subscription's secret and the fixtures' secrets.
    const secretsEnv = JSON.parse(webhookSecretsEnv) as { default: Record<string, string[]> };
    secretsEnv.default.pharmacy_order_created!.push(peer.secret);
    ({ app, url } = await startGateway(brokers, topics, {
      HTTP_PORT: String(peer.gatewayPort),
      GATEWAY_WEBHOOK_SECRETS: JSON.stringify(secretsEnv),
      GATEWAY_PRODUCE_BUDGET_MS: String(BUDGET_MS),
      GATEWAY_RETRY_AFTER_SECONDS: '1',
    }));
  });
  afterAll(async () => {
    await peer?.close();
    await app?.close();
    await stopKafka(quiet);
    rmSync(home, { recursive: true, force: true });
  });

  const deliveriesOf = async (uids: string[]) =>
    (await peer.deliveries()).deliveries.filter((d) => uids.includes(d.dataUid));

  it('answers 503 with Retry-After within the budget while stopped, and the sandbox redelivery lands exactly the refused events', async () => {
    const before = [await peer.createOrder(), await peer.createOrder(), await peer.createOrder()];
    await waitFor(
      async () => {
        const ds = await deliveriesOf(before);
        return ds.length === before.length && ds.every((d) => d.state === 'delivered') ? ds : undefined;
      },
      'the first orders delivered',
      { timeoutMs: 90_000 },
    );

    await stopKafka(quiet);
    const refused = [
      await peer.createOrder(),
      await peer.createOrder(),
      await peer.createOrder(),
      await peer.createOrder(),
    ];
    const refusedAttempts = await waitFor(
      async () => {
        const ds = await deliveriesOf(refused);
        return ds.length === refused.length && ds.every((d) => d.attempts.length > 0)
          ? ds.map((d) => d.attempts[0]!)
          : undefined;
      },
      'each refused order answered at least once',
      { timeoutMs: 90_000 },
    );
    for (const a of refusedAttempts) {
      expect(a.status).toBe(503);
      expect(a.durationMs).toBeLessThan(RXSCALE_TIMEOUT_MS);
    }
    const direct = await deliver(url, delivery());
    expect(direct.status).toBe(503);
    expect(direct.retryAfter).toBe('1');
    expect((await fetch(`${url}/health/ready`)).status).toBe(503);

    await startKafka(quiet);
    const settled = await waitFor(
      async () => {
        const ds = await deliveriesOf(refused);
        return ds.every((d) => d.state === 'delivered') ? ds : undefined;
      },
      'the sandbox to redeliver every refused order',
      { timeoutMs: 90_000 },
    );
    expect(settled.every((d) => d.attempts.length > 1)).toBe(true);
    // Ready again once every producer lane is connected: a lane that carried none of the redeliveries
    // reconnects on its own 2 s timer, so readiness may trail the deliveries by a few seconds (a CI run saw
    // 503 right after the last one landed).
    await waitFor(
      async () => (await fetch(`${url}/health/ready`)).status === 200 || undefined,
      'the gateway ready again',
      { timeoutMs: 15_000 },
    );

    const all = await deliveriesOf([...before, ...refused]);
    const expected = all.map((d) => `${d.eventType}:${d.timestamp}:${d.dataUid}`).sort();
    // the dedup key begins with the event type and timestamp and ends with the uid (webhookDedupKey)
    const onTopic = (await dedupKeysOn(topics.pharmacyOrders))
      .filter((k) => k.includes(':po-gw-'))
      .map((k) => `${k.split(':').slice(0, 2).join(':')}:${k.slice(k.lastIndexOf(':') + 1)}`);
    // Every order the sandbox raised is on the topic, the refused ones included; nothing else from it
    // (a refused record already handed to Kafka may land twice: consumers dedup on the key).
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
