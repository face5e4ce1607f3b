import { createServer } from 'node:net';
import { startSandbox, type DeliveryRecord, type RunningSandbox } from '@rxbridge/rxscale-sandbox';

/**
 * The RxScale sandbox as the gateway's peer: one invented pharmacy with one SKU and a key, a
 * subscription to pharmacy_order_created pointing at the gateway, and the secret RxScale returned.
 */
export interface SandboxPeer {
  sandbox: RunningSandbox;
  secret: string;
  gatewayPort: number;
  createOrder(): Promise<string>;
  deliveries(): Promise<{ idle: boolean; deliveries: DeliveryRecord[] }>;
  close(): Promise<void>;
}

const PHARMACY = 'ph-gateway-test';
const KEY = 'gateway-test-key-000000000001';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<unknown> {
  const res = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${new URL(url).pathname} answered ${res.status}: ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export async function startSandboxPeer(): Promise<SandboxPeer> {
  // Redelivery fast enough for a test: first retry after 300 ms, at most 1.5 s apart, for about a minute.
  const sandbox = await startSandbox({
    port: 0,
    rateLimit: false,
    log: false,
    webhooks: { timeoutMs: 5000, maxAttempts: 40, baseDelayMs: 300, maxDelayMs: 1500 },
  });
  const admin = (method: string, path: string, body?: unknown) =>
    call(`${sandbox.adminUrl}${path}`, method, body);
  await admin('POST', '/pharmacies', { uid: PHARMACY, display_name: 'Testapotheke Gateway (invented)' });
  await admin('POST', '/api-keys', {
    name: 'gateway test',
    pharmacy_uid: PHARMACY,
    permissions: ['webhooks_read', 'webhooks_write'],
    key: KEY,
  });
  await admin('POST', '/skus', {
    uid: 'sku-gateway-test',
    display_name: 'Testpräparat 10 mg',
    pzn: '00000042',
  });
  await admin('POST', '/pharmacy-skus', {
    uid: 'psku-gateway-test',
    pharmacy_uid: PHARMACY,
    sku_uid: 'sku-gateway-test',
    price: 1299,
    stock: 1000,
  });
  const gatewayPort = await freePort();
  const sub = (await call(
    `${sandbox.apiUrl()}/webhooks/`,
    'POST',
    {
      target: `http://127.0.0.1:${gatewayPort}/webhooks/rxscale`,
      notification_type: 'pharmacy_order_created',
    },
    { 'x-api-key': KEY },
  )) as { signing_secret: string };
  let n = 0;
  return {
    sandbox,
    secret: sub.signing_secret,
    gatewayPort,
    async createOrder() {
      const order = (await admin('POST', '/orders', {
        uid: `po-gw-${process.pid}-${Date.now()}-${++n}`,
        pharmacy_uid: PHARMACY,
        items: [{ pharmacy_sku_uid: 'psku-gateway-test', amount: 1 }],
      })) as { uid: string };
      return order.uid;
    },
    async deliveries() {
      return (await admin('GET', '/webhook-deliveries')) as { idle: boolean; deliveries: DeliveryRecord[] };
    },
    close: () => sandbox.close(),
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
