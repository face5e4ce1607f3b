import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  sandboxAdmin,
  sandboxAdminOk,
  sandboxApi,
  startTestSandbox,
  TEST_WEBHOOK_TIMING,
  type TestSandboxOptions,
} from '../src/sandbox.js';

// The real sandbox's tests and every package that starts it exercise startTestSandbox with the sandbox; here
// a plain HTTP server stands in for it, to pin what the helpers send.
describe('sandbox helpers', () => {
  let server: Server;
  let base: string;
  const seen: { method: string; url: string; key: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, key: req.headers['x-api-key'] as string, body });
        res.statusCode = req.url!.endsWith('/missing') ? 404 : 201;
        res.setHeader('content-type', 'application/json');
        res.end(req.url!.endsWith('/missing') ? '{"error":"not found"}' : '{"uid":"x-1"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const endpoints = () => ({
    adminUrl: `${base}/_admin`,
    apiUrl: (basePath = '/v1/external-pharmacy-api-v1') => `${base}${basePath}`,
  });

  it('starts with a free port and fast webhook timings, letting a test override one timing', async () => {
    const received: unknown[] = [];
    const started = await startTestSandbox(
      (options?: TestSandboxOptions & { rateLimit?: boolean }) => {
        received.push(options);
        return Promise.resolve('started');
      },
      { rateLimit: false, webhooks: { maxAttempts: 2 } },
    );
    expect(started).toBe('started');
    expect(received).toEqual([
      { rateLimit: false, port: 0, webhooks: { ...TEST_WEBHOOK_TIMING, maxAttempts: 2 } },
    ]);
  });

  it('calls the admin API with JSON and hands back status and parsed body', async () => {
    const answer = await sandboxAdmin(endpoints(), 'POST', '/pharmacies', { uid: 'ph-1' });
    expect(answer).toMatchObject({ status: 201, body: { uid: 'x-1' } });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/_admin/pharmacies', body: '{"uid":"ph-1"}' });
  });

  it('throws on a failed setup step, naming the path and the answer', async () => {
    await expect(sandboxAdminOk(endpoints(), 'GET', '/missing')).rejects.toThrow(
      'GET /_admin/missing answered 404: {"error":"not found"}',
    );
  });

  it('calls the API under the chosen base path with the key', async () => {
    await sandboxApi(endpoints(), 'GET', '/orders/', { key: 'k-1', basePath: '/v1/external_pharmacy_api' });
    expect(seen.at(-1)).toMatchObject({ url: '/v1/external_pharmacy_api/orders/', key: 'k-1' });
  });
});
