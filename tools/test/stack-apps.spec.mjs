// What `npm start` starts and with which env: every part in order, tokens only as hashes in the services,
// the clear ones only where a client needs them, and the simulator switch.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiToken } from '@rxbridge/service-kit';
import { DEFAULT_PORTS, stackApps } from '../stack/apps.mjs';
import { mintStackCredentials, writeCredentialsFile } from '../stack/credentials.mjs';
import { startOptions } from '../stack/main.mjs';

describe('the stack npm start runs', () => {
  it('starts sandbox, gateway, the three services and the simulator, in that order, each service waiting for /health/ready', async () => {
    const apps = stackApps({ credentials: await mintStackCredentials() });
    expect(apps.map((a) => a.name)).toEqual([
      'sandbox',
      'gateway',
      'order-service',
      'inventory-service',
      'shipping-service',
      'simulator',
    ]);
    for (const a of apps.filter((x) => x.name.endsWith('-service'))) expect(a.ready).toBe('/health/ready');
    expect(apps.find((a) => a.name === 'order-service')?.url).toBe(`http://127.0.0.1:${DEFAULT_PORTS.order}`);
  });

  it('gives the services only hashes of fresh tokens, and the clear tokens only to their clients', async () => {
    const c = await mintStackCredentials();
    const other = await mintStackCredentials();
    expect(other.tokens.simulator).not.toBe(c.tokens.simulator);
    const apps = stackApps({ credentials: c });
    const env = (/** @type {string} */ name) => apps.find((a) => a.name === name)?.env ?? {};
    const order = JSON.parse(env('order-service').HTTP_API_TOKENS);
    expect(order).toContainEqual({
      name: 'shipping-service',
      hash: hashApiToken(c.tokens.shippingToOrder),
      scopes: ['orders:delivery-address'],
    });
    expect(order.map((/** @type {any} */ e) => e.hash)).toContain(hashApiToken(c.tokens.simulator));
    // Only order-service accepts the delivery-address token; no service holds a clear token in its tokens.
    expect(env('inventory-service').HTTP_API_TOKENS).not.toContain(hashApiToken(c.tokens.shippingToOrder));
    for (const app of apps.filter((a) => a.name.endsWith('-service')))
      for (const t of Object.values(c.tokens)) expect(app.env.HTTP_API_TOKENS).not.toContain(t);
    expect(env('shipping-service').ORDER_SERVICE_TOKEN).toBe(c.tokens.shippingToOrder);
    expect(env('shipping-service').ORDER_SERVICE_URL).toBe(`http://127.0.0.1:${DEFAULT_PORTS.order}`);
    expect(env('simulator').SIMULATOR_TOKEN).toBe(c.tokens.simulator);
    expect(JSON.parse(env('order-service').RXSCALE_SOURCES)).toEqual({
      default: {
        baseUrl: `http://127.0.0.1:${DEFAULT_PORTS.sandbox}/v1/external-pharmacy-api-v1`,
        apiKey: 'demo-group-key-0000000000000000',
        scope: 'group',
        pharmacies: ['ph-demo-lindenplatz', 'ph-demo-markt', 'ph-demo-bahnhof'],
      },
    });
  });

  it('leaves the simulator out with --no-simulator or RXBRIDGE_SIMULATOR=off, and refuses anything else', () => {
    expect(startOptions([], {}).simulator).toBe(true);
    expect(startOptions(['--no-simulator'], {}).simulator).toBe(false);
    expect(startOptions([], { RXBRIDGE_SIMULATOR: 'off' }).simulator).toBe(false);
    expect(() => startOptions([], { RXBRIDGE_SIMULATOR: 'maybe' })).toThrow(
      'RXBRIDGE_SIMULATOR must be on or off',
    );
    expect(() => startOptions(['--simulator=no'], {})).toThrow('unknown option --simulator=no');
    expect(startOptions([], { RXBRIDGE_STACK_PORT_OFFSET: '100' }).ports.order).toBe(
      DEFAULT_PORTS.order + 100,
    );
    expect(() => startOptions([], { RXBRIDGE_STACK_PORT_OFFSET: '-1' })).toThrow(
      'RXBRIDGE_STACK_PORT_OFFSET',
    );
  });

  it('writes the developer credentials readable by the owner only', async () => {
    const c = await mintStackCredentials();
    const file = join(mkdtempSync(join(tmpdir(), 'rxbridge-cred-')), 'sub', 'stack-credentials.json');
    writeCredentialsFile(file, c, { 'order-service': 'http://127.0.0.1:3001' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const body = JSON.parse(readFileSync(file, 'utf8'));
    expect(body.token).toBe(c.tokens.developer);
    expect(body.urls['order-service']).toBe('http://127.0.0.1:3001');
  });
});
