import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '@rxbridge/rxscale-sandbox';
import { brokers, freePort } from '@rxbridge/testing';
import { startTestSandbox } from '@rxbridge/testing/sandbox';
import { composeSetup, envFile, shellQuote } from '../stack/compose-setup.mjs';
import { root } from '../deploy/manifests.mjs';

/** The env an app's compose command gets after `set -a && . <file>`: the file read by a real shell. */
function sourced(file, name) {
  return execFileSync('/bin/sh', ['-c', `set -a && . "$0" && printenv "$1"`, file, name], {
    encoding: 'utf8',
  }).replace(/\n$/, '');
}

describe("docker-compose's setup (tools/stack/compose-setup.mjs)", () => {
  let sandbox;
  let dir;

  beforeAll(async () => {
    sandbox = await startTestSandbox(startSandbox, {
      port: await freePort(),
      seed: join(root, 'apps/rxscale-sandbox/seed/demo-chain.json'),
    });
    dir = mkdtempSync(join(tmpdir(), 'rxbridge-stack-env-'));
  });
  afterAll(async () => {
    await sandbox?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes one env file per app, owner-only, that a shell reads back exactly', async () => {
    const sandboxPort = Number(new URL(sandbox.adminUrl).port);
    const hosts = {
      sandbox: '127.0.0.1',
      gateway: '127.0.0.1',
      order: '127.0.0.1',
      inventory: '127.0.0.1',
      shipping: '127.0.0.1',
    };
    const written = await composeSetup({
      brokers: brokers.join(','),
      dir,
      seedFile: join(root, 'apps/rxscale-sandbox/seed/demo-chain.json'),
      hosts,
      ports: { sandbox: sandboxPort, gateway: 3000, order: 3001, inventory: 3002, shipping: 3003 },
      log: () => undefined,
    });
    expect(readdirSync(dir).sort()).toEqual(
      ['gateway', 'inventory-service', 'order-service', 'sandbox', 'shipping-service', 'simulator'].map(
        (n) => `${n}.env`,
      ),
    );
    for (const f of written) expect(statSync(f).mode & 0o777).toBe(0o600);
    // the gateway holds the secrets of the subscriptions the sandbox now has
    const secrets = JSON.parse(sourced(join(dir, 'gateway.env'), 'GATEWAY_WEBHOOK_SECRETS'));
    expect(Object.keys(secrets.default).sort()).toEqual([
      'pharmacy_order_created',
      'pharmacy_order_updated',
      'pharmacy_sku_stock_updated',
    ]);
    expect(sourced(join(dir, 'order-service.env'), 'HTTP_HOST')).toBe('0.0.0.0');
    // services get hashes; the clear token goes to shipping-service alone, and order-service admits it
    const tokens = JSON.parse(sourced(join(dir, 'order-service.env'), 'HTTP_API_TOKENS'));
    const shippingToken = sourced(join(dir, 'shipping-service.env'), 'ORDER_SERVICE_TOKEN');
    const { hashApiToken } = await import('@rxbridge/service-kit');
    expect(tokens.find((t) => t.name === 'shipping-service')).toEqual({
      name: 'shipping-service',
      hash: hashApiToken(shippingToken),
      scopes: ['orders:delivery-address'],
    });
    expect(readFileSync(join(dir, 'order-service.env'), 'utf8')).not.toContain(shippingToken);
    expect(sourced(join(dir, 'shipping-service.env'), 'ORDER_SERVICE_URL')).toBe('http://127.0.0.1:3001');
  });

  it('quotes any value so that the shell reads it unchanged', () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'rxbridge-quote-'));
    try {
      const nasty = `{"a":"it's $HOME \`id\` \\" \n x"}`;
      const file = join(dir2, 'x.env');
      execFileSync('/bin/sh', ['-c', 'cat > "$0"', file], { input: envFile({ NASTY: nasty }) });
      expect(sourced(file, 'NASTY')).toBe(nasty);
      expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
