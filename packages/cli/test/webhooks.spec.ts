import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import pg from 'pg';
import { databaseUrl, freePort, uniqueSuffix } from '@rxbridge/testing';
import { sandboxAdminOk, sandboxApi } from '@rxbridge/testing/sandbox';
import { parseJson, runCli } from './support/run-cli.js';

let sb: RunningSandbox;
let env: Record<string, string>;
const PHARMACY = 'ph-cli-1';
const URL_A = 'https://rxbridge.example/webhooks/rxscale';
let key: string;

interface Sub {
  uid: string;
  target: string;
  notification_type: string;
}
const subsAtSandbox = async (): Promise<Sub[]> =>
  (await sandboxApi<Sub[]>(sb, 'GET', '/webhooks/', { key })).body;

beforeAll(async () => {
  sb = await startSandbox({ port: 0, rateLimit: false });
  await sandboxAdminOk(sb, 'POST', '/pharmacies', { uid: PHARMACY, display_name: 'Apotheke Testdorf' });
  ({ key } = await sandboxAdminOk<{ key: string }>(sb, 'POST', '/api-keys', {
    name: 'cli',
    pharmacy_uid: PHARMACY,
    permissions: ['webhooks_read', 'webhooks_write'],
  }));
  env = { RXSCALE_BASE_URL: sb.apiUrl(), RXSCALE_API_KEY: key, RXSCALE_PHARMACY_UID: PHARMACY };
});
afterAll(async () => {
  await sb.close();
});

describe('rxbridge webhooks', () => {
  it('register: one subscription per event type at RxScale, secrets printed once in the gateway form', async () => {
    const run = await runCli(['webhooks', 'register', '--url', URL_A], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const subs = await subsAtSandbox();
    expect(subs.map((s) => s.notification_type).sort()).toEqual([
      'pharmacy_order_created',
      'pharmacy_order_updated',
      'pharmacy_sku_stock_updated',
    ]);
    expect(subs.every((s) => s.target === URL_A)).toBe(true);
    const line = run.stdout.split('\n').find((l) => l.startsWith('GATEWAY_WEBHOOK_SECRETS='))!;
    const secrets = JSON.parse(line.slice('GATEWAY_WEBHOOK_SECRETS='.length)) as Record<
      string,
      Record<string, string[]>
    >;
    expect(Object.keys(secrets)).toEqual(['default']);
    for (const type of ['pharmacy_order_created', 'pharmacy_order_updated', 'pharmacy_sku_stock_updated'])
      expect(secrets.default![type]).toEqual([expect.stringMatching(/^whsec_/)]);
    for (const s of subs) expect(run.stdout).toContain(s.uid);
  });

  it('list --json parses and shows what the sandbox holds, never a secret', async () => {
    const run = await runCli(['webhooks', 'list', '--json'], env);
    expect(run.code).toBe(0);
    const listed = parseJson<Sub[]>(run);
    expect(listed.map((s) => s.uid).sort()).toEqual((await subsAtSandbox()).map((s) => s.uid).sort());
    expect(run.stdout).not.toContain('whsec_');
  });

  it('rotate: new subscriptions, combined old + new secrets; --remove-old removes the old ones', async () => {
    const old = await subsAtSandbox();
    const oldSecrets = { default: { pharmacy_order_created: ['whsec_old_one_0123456789'] } };
    const same = await runCli(['webhooks', 'rotate', '--url', URL_A], env);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('rotate to a URL that differs');
    const run = await runCli(
      ['webhooks', 'rotate', '--url', `${URL_A}?r=2`, '--events', 'pharmacy_order_created', '--json'],
      {
        ...env,
        GATEWAY_WEBHOOK_SECRETS: JSON.stringify(oldSecrets),
      },
    );
    expect(run.code).toBe(0);
    const out = parseJson<{
      subscriptions: Sub[];
      gatewayWebhookSecrets: typeof oldSecrets;
      old: string[];
      oldRemoved: boolean;
    }>(run);
    expect(out.gatewayWebhookSecrets.default.pharmacy_order_created).toEqual([
      'whsec_old_one_0123456789',
      expect.stringMatching(/^whsec_/),
    ]);
    expect(out.old).toEqual(
      old.filter((s) => s.notification_type === 'pharmacy_order_created').map((s) => s.uid),
    );
    expect(out.oldRemoved).toBe(false);
    // both stay until the new ones delivered
    expect((await subsAtSandbox()).length).toBe(old.length + 1);

    const removing = await runCli(
      [
        'webhooks',
        'rotate',
        '--url',
        `${URL_A}?r=3`,
        '--events',
        'pharmacy_order_created',
        '--remove-old',
        '--json',
      ],
      {
        ...env,
        GATEWAY_WEBHOOK_SECRETS: JSON.stringify({
          default: {
            ...out.gatewayWebhookSecrets.default,
            pharmacy_order_updated: ['whsec_updated_0123456789'],
          },
        }),
      },
    );
    expect(removing.code).toBe(0);
    const rotated = parseJson<{ gatewayWebhookSecrets: Record<string, Record<string, string[]>> }>(removing);
    // the rotated type holds only the new secret; the other types keep theirs
    expect(rotated.gatewayWebhookSecrets.default!.pharmacy_order_created).toEqual([
      expect.stringMatching(/^whsec_/),
    ]);
    expect(rotated.gatewayWebhookSecrets.default!.pharmacy_order_created![0]).not.toBe(
      out.gatewayWebhookSecrets.default.pharmacy_order_created[1],
    );
    expect(rotated.gatewayWebhookSecrets.default!.pharmacy_order_updated).toEqual([
      'whsec_updated_0123456789',
    ]);
    const after = await subsAtSandbox();
    const created = after.filter((s) => s.notification_type === 'pharmacy_order_created');
    expect(created.map((s) => s.target)).toEqual([`${URL_A}?r=3`]);
  });

  it('register --secret-manifest writes a 0600 Kubernetes Secret and prints no secret', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxbridge-cli-'));
    const file = join(dir, 'secret.yaml');
    const run = await runCli(
      [
        'webhooks',
        'register',
        '--url',
        'https://b.example/webhooks/rxscale',
        '--events',
        'pharmacy_sku_stock_updated',
        '--secret-manifest',
        file,
        '--namespace',
        'rxbridge',
      ],
      env,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('whsec_');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).toContain('kind: Secret');
    expect(text).toContain('name: rxbridge-webhook-secrets');
    expect(text).toContain('namespace: rxbridge');
    const value = JSON.parse(JSON.parse(/GATEWAY_WEBHOOK_SECRETS: (.*)/.exec(text)![1]!) as string) as Record<
      string,
      Record<string, string[]>
    >;
    expect(value.default!.pharmacy_sku_stock_updated![0]).toMatch(/^whsec_/);
  });

  it('remove deletes the named subscriptions and refuses an unknown uid without removing any', async () => {
    const before = await subsAtSandbox();
    const bad = await runCli(['webhooks', 'remove', before[0]!.uid, 'sub-nope'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no subscription sub-nope');
    expect((await subsAtSandbox()).length).toBe(before.length);
    const run = await runCli(['webhooks', 'remove', ...before.map((s) => s.uid), '--json'], env);
    expect(run.code).toBe(0);
    expect(parseJson<{ removed: string[] }>(run).removed).toHaveLength(before.length);
    expect(await subsAtSandbox()).toEqual([]);
  });

  it('bad arguments exit 2, a missing key 78, an unreachable RxScale 3, a refused key 1', async () => {
    const badUrl = await runCli(['webhooks', 'register', '--url', 'ftp://x'], env);
    expect(badUrl.code).toBe(2);
    const badEvent = await runCli(['webhooks', 'register', '--url', URL_A, '--events', 'order_paid'], env);
    expect(badEvent.code).toBe(2);
    expect(badEvent.stderr).toContain('order_paid');
    const noConfig = await runCli(['webhooks', 'list'], {});
    expect(noConfig.code).toBe(78);
    expect(noConfig.stderr).toContain('RXSCALE_SOURCES');
    const port = await freePort();
    const down = await runCli(['webhooks', 'list'], {
      ...env,
      RXSCALE_BASE_URL: `http://127.0.0.1:${port}/v1/external-pharmacy-api-v1`,
    });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('unreachable');
    const refused = await runCli(['webhooks', 'list'], { ...env, RXSCALE_API_KEY: 'wrong-key' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refused the API key');
    expect(refused.stderr).not.toContain('wrong-key');
  });
});

describe("rxbridge webhooks with DATABASE_URL: the services' shared budget", () => {
  it("takes its tokens from the source's bucket in PostgreSQL, and exits 3 naming DATABASE_URL when that is down", async () => {
    const source = `cli-budget-${uniqueSuffix()}`;
    const sources = JSON.stringify({
      [source]: { baseUrl: sb.apiUrl(), apiKey: key, scope: 'pharmacy', pharmacies: [PHARMACY] },
    });
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const run = await runCli(['webhooks', 'list', '--json'], {
        RXSCALE_SOURCES: sources,
        DATABASE_URL: databaseUrl,
      });
      expect(run.code).toBe(0);
      const taken = await db.query<{ n: string }>(
        'SELECT count(*) AS n FROM rxscale_budget.token_log WHERE bucket = $1',
        [`rxscale-source:${source}`],
      );
      expect(Number(taken.rows[0]!.n)).toBe(1);
    } finally {
      await db.end();
    }
    const down = await runCli(['webhooks', 'list'], {
      RXSCALE_SOURCES: sources,
      DATABASE_URL: `postgres://rxbridge:not-this-secret@127.0.0.1:${await freePort()}/rxbridge`,
    });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('DATABASE_URL');
    expect(down.stderr).not.toContain('not-this-secret');
  });
});

describe('rxbridge webhooks register, failing midway', () => {
  it('prints the secrets of what did register on stdout, then fails naming the rest', async () => {
    const target = 'https://d.example/webhooks/rxscale';
    // the second event type is taken already: RxScale (the sandbox) answers 409 to it
    await sandboxApi(sb, 'POST', '/webhooks/', {
      key,
      body: { target, notification_type: 'pharmacy_order_updated' },
    });
    const run = await runCli(['webhooks', 'register', '--url', target], env);
    expect(run.code).toBe(1);
    const line = run.stdout.split('\n').find((l) => l.startsWith('GATEWAY_WEBHOOK_SECRETS='))!;
    const secrets = JSON.parse(line.slice('GATEWAY_WEBHOOK_SECRETS='.length)) as Record<
      string,
      Record<string, string[]>
    >;
    expect(Object.keys(secrets.default!)).toEqual(['pharmacy_order_created']);
    expect(run.stderr).toContain('1 subscription(s) registered before it');
    expect(run.stderr).not.toContain('whsec_');
    const types = (await subsAtSandbox()).filter((s) => s.target === target).map((s) => s.notification_type);
    expect(types.sort()).toEqual(['pharmacy_order_created', 'pharmacy_order_updated']);
  });
});

describe('rxbridge webhooks with several sources (RXSCALE_SOURCES)', () => {
  it('register --source with a group key subscribes each listed pharmacy; --source is required with several', async () => {
    await sandboxAdminOk(sb, 'POST', '/groups', { uid: 'grp-cli', display_name: 'Kette Testdorf' });
    for (const uid of ['ph-g-1', 'ph-g-2'])
      await sandboxAdminOk(sb, 'POST', '/pharmacies', {
        uid,
        display_name: `Apotheke ${uid}`,
        group_uid: 'grp-cli',
      });
    const group = await sandboxAdminOk<{ key: string }>(sb, 'POST', '/api-keys', {
      name: 'cli-group',
      group_uid: 'grp-cli',
      permissions: ['webhooks_read', 'webhooks_write'],
    });
    const sources = JSON.stringify({
      chain: { baseUrl: sb.apiUrl(), apiKey: group.key, scope: 'group', pharmacies: ['ph-g-1', 'ph-g-2'] },
      single: { baseUrl: sb.apiUrl(), apiKey: key, scope: 'pharmacy', pharmacies: [PHARMACY] },
    });
    const ambiguous = await runCli(['webhooks', 'list'], { RXSCALE_SOURCES: sources });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('--source is required');
    expect(ambiguous.stderr).not.toContain(group.key);
    const run = await runCli(
      [
        'webhooks',
        'register',
        '--source',
        'chain',
        '--url',
        'https://c.example/webhooks/rxscale/chain',
        '--events',
        'pharmacy_order_created',
        '--json',
      ],
      { RXSCALE_SOURCES: sources },
    );
    expect(run.code).toBe(0);
    const out = parseJson<{
      subscriptions: { pharmacy_uid: string }[];
      gatewayWebhookSecrets: Record<string, Record<string, string[]>>;
    }>(run);
    expect(out.subscriptions.map((s) => s.pharmacy_uid)).toEqual(['ph-g-1', 'ph-g-2']);
    expect(Object.keys(out.gatewayWebhookSecrets)).toEqual(['chain']);
    expect(out.gatewayWebhookSecrets.chain!.pharmacy_order_created).toHaveLength(2);
    for (const pharmacy of ['ph-g-1', 'ph-g-2']) {
      const listed = await sandboxApi<Sub[]>(sb, 'GET', `/webhooks/?pharmacy_uid=${pharmacy}`, {
        key: group.key,
      });
      expect(listed.body.map((s) => s.target)).toEqual(['https://c.example/webhooks/rxscale/chain']);
    }
    const one = parseJson<unknown[]>(
      await runCli(['webhooks', 'list', '--source', 'chain', '--pharmacy', 'ph-g-2', '--json'], {
        RXSCALE_SOURCES: sources,
      }),
    );
    expect(one).toHaveLength(1);
    expect((await runCli(['webhooks', 'list', '--source', 'nope'], { RXSCALE_SOURCES: sources })).code).toBe(
      2,
    );
  });
});
