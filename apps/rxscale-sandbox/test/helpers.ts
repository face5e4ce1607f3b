import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  startSandbox,
  type RequestLogEntry,
  type RunningSandbox,
  type SandboxOptions,
  type StatusChange,
} from '../src/index.js';

export const ALL_PERMISSIONS = [
  'orders_read',
  'orders_write',
  'stock_read',
  'stock_write',
  'pharmacy_sku_write',
  'webhooks_read',
  'webhooks_write',
];

/** A sandbox with fast webhook retries (tests must not wait for the production backoff). */
export function startTestSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  return startSandbox({
    port: 0,
    ...options,
    webhooks: { baseDelayMs: 20, maxDelayMs: 200, timeoutMs: 2000, maxAttempts: 4, ...options.webhooks },
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON off the wire; each test asserts its shape
export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

async function answer(res: Response): Promise<HttpAnswer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    /* keep the text */
  }
  return { status: res.status, headers: res.headers, body };
}

export async function admin(
  sb: RunningSandbox,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpAnswer> {
  const res = await fetch(`${sb.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(res);
}

export interface ApiCall {
  key?: string;
  body?: unknown;
  rawBody?: string;
  basePath?: '/v1/external-pharmacy-api-v1' | '/v1/external_pharmacy_api';
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export async function api(
  sb: RunningSandbox,
  method: string,
  path: string,
  call: ApiCall = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.key !== undefined) headers['x-api-key'] = call.key;
  let body: string | undefined = call.rawBody;
  if (call.body !== undefined) body = JSON.stringify(call.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`${sb.apiUrl(call.basePath)}${path}`, {
    method,
    headers,
    body,
    signal: call.signal,
  });
  return answer(res);
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

/** Polls until `check` returns a value other than undefined/false (no fixed sleeps in tests). */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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
