import { freePort } from '@rxbridge/testing';
import { startSandbox, type DeliveryRecord, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { sandboxAdminOk, sandboxApi, startTestSandbox } from '@rxbridge/testing/sandbox';

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

export async function startSandboxPeer(): Promise<SandboxPeer> {
  // Redelivery fast enough for a test: first retry after 300 ms, at most 1.5 s apart, for about a minute.
  const sandbox = await startTestSandbox(startSandbox, {
    rateLimit: false,
    log: false,
    webhooks: { timeoutMs: 5000, maxAttempts: 40, baseDelayMs: 300, maxDelayMs: 1500 },
  });
  const admin = <T = unknown>(method: string, path: string, body?: unknown) =>
    sandboxAdminOk<T>(sandbox, method, path, body);
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
  const sub = await sandboxApi<{ signing_secret: string }>(sandbox, 'POST', '/webhooks/', {
    key: KEY,
    body: {
      target: `http://127.0.0.1:${gatewayPort}/webhooks/rxscale`,
      notification_type: 'pharmacy_order_created',
    },
  });
  if (sub.status !== 201) throw new Error(`subscribing the gateway answered ${sub.status}`);
  let n = 0;
  return {
    sandbox,
    secret: sub.body.signing_secret,
    gatewayPort,
    async createOrder() {
      const order = await admin<{ uid: string }>('POST', '/orders', {
        uid: `po-gw-${process.pid}-${Date.now()}-${++n}`,
        pharmacy_uid: PHARMACY,
        items: [{ pharmacy_sku_uid: 'psku-gateway-test', amount: 1 }],
      });
      return order.uid;
    },
    async deliveries() {
      return admin<{ idle: boolean; deliveries: DeliveryRecord[] }>('GET', '/webhook-deliveries');
    },
    close: () => sandbox.close(),
  };
}
