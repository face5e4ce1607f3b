import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_PERMISSIONS } from '@rxbridge/rxscale-contract';
import type { JsonAnswer } from '@rxbridge/testing';
import {
  sandboxAdmin,
  sandboxApi,
  startTestSandbox as startWithTestTimings,
  type SandboxApiCall,
} from '@rxbridge/testing/sandbox';
import {
  startSandbox,
  type RequestLogEntry,
  type RunningSandbox,
  type SandboxOptions,
  type StatusChange,
} from '../src/index.js';

const ALL_PERMISSIONS = [...API_PERMISSIONS];

/** This package's sandbox with the test timings of @rxbridge/testing (imported here, not as a package). */
export function startTestSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startWithTestTimings(startSandbox, options);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON off the wire; each test asserts its shape
export type HttpAnswer = JsonAnswer<any>;

export function admin(sb: RunningSandbox, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
  return sandboxAdmin(sb, method, path, body);
}

export function api(
  sb: RunningSandbox,
  method: string,
  path: string,
  call: SandboxApiCall = {},
): Promise<HttpAnswer> {
  return sandboxApi(sb, method, path, call);
}

/** A small chain: a group with two pharmacies, a pharmacy outside it, keys, SKUs with stock. */
export async function setupChain(sb: RunningSandbox) {
  const must = async (path: string, body: unknown): Promise<unknown> => {
    const res = await admin(sb, 'POST', path, body);
    if (res.status !== 201)
      throw new Error(`setup ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  };
  await must('/groups', { uid: 'grp-a', display_name: 'Gruppe A' });
  await must('/groups', { uid: 'grp-b', display_name: 'Gruppe B' });
  await must('/pharmacies', { uid: 'ph-a1', display_name: 'Apotheke A1', group_uid: 'grp-a' });
  await must('/pharmacies', { uid: 'ph-a2', display_name: 'Apotheke A2', group_uid: 'grp-a' });
  await must('/pharmacies', { uid: 'ph-b1', display_name: 'Apotheke B1', group_uid: 'grp-b' });
  const key = async (body: Record<string, unknown>) =>
    ((await must('/api-keys', body)) as { key: string }).key;
  const keys = {
    a1: await key({ name: 'A1 all', pharmacy_uid: 'ph-a1', permissions: ALL_PERMISSIONS }),
    a2: await key({ name: 'A2 all', pharmacy_uid: 'ph-a2', permissions: ALL_PERMISSIONS }),
    groupA: await key({ name: 'group A', group_uid: 'grp-a', permissions: ALL_PERMISSIONS }),
    readOnly: await key({
      name: 'A1 read',
      pharmacy_uid: 'ph-a1',
      permissions: ['orders_read', 'stock_read'],
    }),
    stockOnly: await key({ name: 'A1 stock', pharmacy_uid: 'ph-a1', permissions: ['stock_write'] }),
  };
  await must('/skus', { uid: 'sku-1', display_name: 'Ibuprofen 400 mg, 20 Tabletten', pzn: '06312077' });
  await must('/skus', { uid: 'sku-2', display_name: 'Paracetamol 500 mg, 20 Tabletten', pzn: '01126111' });
  await must('/pharmacy-skus', {
    uid: 'psku-a1-1',
    pharmacy_uid: 'ph-a1',
    sku_uid: 'sku-1',
    price: 599,
    stock: 20,
  });
  await must('/pharmacy-skus', {
    uid: 'psku-a1-2',
    pharmacy_uid: 'ph-a1',
    sku_uid: 'sku-2',
    price: 399,
    stock: 5,
  });
  await must('/pharmacy-skus', {
    uid: 'psku-a2-1',
    pharmacy_uid: 'ph-a2',
    sku_uid: 'sku-1',
    price: 649,
    stock: 7,
  });
  return { keys };
}

export async function createOrder(sb: RunningSandbox, body: Record<string, unknown>): Promise<string> {
  const res = await admin(sb, 'POST', '/orders', body);
  if (res.status !== 201) throw new Error(`order create answered ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as { uid: string }).uid;
}

export interface Received {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  json: {
    event_type: string;
    timestamp: number;
    payload_version: string;
    data: { uid: string; status?: string };
  };
}

/** A real HTTP receiver for webhooks on port 0; `respond` chooses the status of each delivery. */
export async function startReceiver(respond: (n: number, r: Received) => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const r: Received = {
        headers: req.headers,
        raw,
        json: JSON.parse(raw.toString('utf8')) as Received['json'],
      };
      received.push(r);
      res.statusCode = respond(received.length, r);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/rxscale`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function deliveries(sb: RunningSandbox) {
  return (await admin(sb, 'GET', '/webhook-deliveries')).body as {
    idle: boolean;
    deliveries: Array<{
      id: string;
      eventType: string;
      dataUid: string;
      state: string;
      duplicate: boolean;
      reordered: boolean;
      attempts: Array<{ attempt: number; status: number | null; durationMs: number; error: string | null }>;
    }>;
  };
}

export async function requestLog(sb: RunningSandbox, limit = 100_000): Promise<RequestLogEntry[]> {
  return ((await admin(sb, 'GET', `/requests?limit=${limit}`)).body as { entries: RequestLogEntry[] })
    .entries;
}

export async function statusHistory(sb: RunningSandbox, orderUid: string): Promise<StatusChange[]> {
  return (await admin(sb, 'GET', `/orders/${orderUid}/history`)).body as StatusChange[];
}
