import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { freePort } from '@rxbridge/testing';
import { parseJson, runCli } from './support/run-cli.js';

/**
 * What the CLI sends (method, path, bearer, a fresh Idempotency-Key, the body of `--sku` lists) and how it
 * reports each kind of answer, against a real node:http server that records every request. The commands'
 * effects against the running services and the sandbox are test/e2e/cli.spec.mjs.
 */
interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  idempotencyKey: string | undefined;
  body: unknown;
}
const TOKEN = 'rxb_operator_token_for_tests_0123456789abcdef';
let server: Server;
let base: string;
let seen: Seen[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: {} };

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      seen.push({
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        idempotencyKey: req.headers['idempotency-key'] as string | undefined,
        body,
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen = [];
  answer = { status: 200, body: {} };
});

const env = () => ({ ORDER_SERVICE_URL: base, INVENTORY_SERVICE_URL: base, RXBRIDGE_API_TOKEN: TOKEN });

describe('service-backed commands', () => {
  it.each([
    [['skus', 'sync'], '/operations/sku-sync', {}],
    [['stock', 'push'], '/operations/stock-push', {}],
    [
      ['stock', 'push', '--sku', 'psku-1,psku-2', '--sku', 'psku-3'],
      '/operations/stock-push',
      { skus: ['psku-1', 'psku-2', 'psku-3'] },
    ],
    [['orders', 'reconcile'], '/operations/safety-net', {}],
  ])('%j POSTs %s with the operator token and prints the summary as JSON', async (args, path, body) => {
    answer = { status: 200, body: { checked: 12, repaired: 1 } };
    const run = await runCli([...args, '--json'], env());
    expect(run.code).toBe(0);
    expect(parseJson(run)).toEqual({ checked: 12, repaired: 1 });
    expect(seen).toEqual([
      {
        method: 'POST',
        path,
        authorization: `Bearer ${TOKEN}`,
        idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/),
        body,
      },
    ]);
  });

  it('orders show GETs /orders/{uid} and prints the order', async () => {
    answer = { status: 200, body: { uid: 'po-1', state: 'in_progress', history: [] } };
    const run = await runCli(['orders', 'show', 'po-1', '--json'], env());
    expect(run.code).toBe(0);
    expect(parseJson(run)).toMatchObject({ uid: 'po-1', state: 'in_progress' });
    expect(seen).toMatchObject([{ method: 'GET', path: '/orders/po-1', authorization: `Bearer ${TOKEN}` }]);
    const text = await runCli(['orders', 'show', 'po-1'], env());
    expect(text.stdout).toMatch(/state\s+in_progress/);
  });

  it("passes on the service's error and exits 1", async () => {
    answer = { status: 404, body: { error: { code: 'order_not_found', message: 'no order po-x' } } };
    const run = await runCli(['orders', 'show', 'po-x'], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'order-service answered 404 to GET /orders/po-x: order_not_found no order po-x',
    );
  });

  it('says the token is missing (78) or refused (401/403, exit 1) and what to do, never echoing it', async () => {
    const missing = await runCli(['skus', 'sync'], { INVENTORY_SERVICE_URL: base });
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain('RXBRIDGE_API_TOKEN is not set');
    expect(missing.stderr).toContain('operator token');
    expect(seen).toEqual([]);
    answer = { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'x' } } };
    const refused = await runCli(['orders', 'reconcile'], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused RXBRIDGE_API_TOKEN (401)');
    expect(refused.stderr).toContain('HTTP_API_TOKENS');
    answer = { status: 403, body: { error: { code: 'FORBIDDEN', message: 'x' } } };
    const forbidden = await runCli(['stock', 'push'], env());
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('scope this route needs (operator)');
    for (const run of [missing, refused, forbidden]) expect(run.stderr).not.toContain(TOKEN);
  });

  it('exits 3 naming the variable when the service is down, 2 on a bad uid', async () => {
    const port = await freePort();
    const down = await runCli(['skus', 'sync'], {
      ...env(),
      INVENTORY_SERVICE_URL: `http://127.0.0.1:${port}`,
    });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('INVENTORY_SERVICE_URL');
    expect((await runCli(['orders', 'show', 'a/b'], env())).code).toBe(2);
    expect(seen).toEqual([]);
  });
});
