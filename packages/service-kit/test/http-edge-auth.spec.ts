import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  ApiScope,
  ApiTokenVerifier,
  ConfigError,
  hashApiToken,
  httpEdgeConfig,
  loadConfig,
  mintApiToken,
} from '../src/index.js';
import { startEdgeTestApp, TOKENS, type EdgeTestApp } from './support/edge-test-app.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../bin/api-token.mjs', import.meta.url));

describe('HTTP edge: bearer tokens and scopes', () => {
  let edge: EdgeTestApp;
  beforeAll(async () => {
    edge = await startEdgeTestApp();
  });
  afterAll(async () => {
    await edge.close();
  });

  const get = (path: string, token?: string) =>
    fetch(`${edge.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answers a token holding the scope', async () => {
    const res = await get('/stock/ABC-1', TOKENS.reader.token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sku: 'ABC-1', limit: 10 });
  });

  it('refuses a missing, malformed or unknown token with one indistinguishable 401', async () => {
    const bodies = [];
    for (const authorization of [
      undefined,
      'Basic abc',
      `Bearer ${TOKENS.reader.token}x`,
      'Bearer ',
      `bearer ${TOKENS.reader.token}`,
    ]) {
      const res = await fetch(`${edge.url}/stock/ABC-1`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      bodies.push(await res.text());
    }
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!)).toEqual({
      error: { code: 'unauthorized', message: 'a valid bearer token is required' },
    });
  });

  it('refuses a valid token without the scope with 403, the same as a route that declares no scope', async () => {
    const noScope = await get('/stock/ABC-1', TOKENS.writer.token);
    const undeclared = await get('/forgotten', TOKENS.operator.token);
    expect([noScope.status, undeclared.status]).toEqual([403, 403]);
    const [a, b] = [await noScope.json(), await undeclared.json()];
    expect(a).toEqual({ error: { code: 'forbidden', message: 'the token does not allow this' } });
    expect(b).toEqual(a);
  });

  it('hands the caller to the handler, with its scopes', async () => {
    expect(await (await get('/orders/whoami', TOKENS.orders.token)).json()).toEqual({
      name: 'orders-desk',
      patientData: true,
    });
    expect(await (await get('/orders/whoami', TOKENS.reader.token)).json()).toEqual({
      name: 'reader',
      patientData: false,
    });
  });

  it('lets health, metrics-free probes and docs through without a token', async () => {
    expect((await get('/health/live')).status).toBe(200);
    expect((await get('/docs/json')).status).toBe(200);
  });
});

describe('HTTP edge: token verifier and config', () => {
  it('accepts only the token whose hash is configured', () => {
    const a = mintApiToken('a', ['stock:read']);
    const b = mintApiToken('b', ['operator']);
    const verifier = new ApiTokenVerifier([a.entry, b.entry]);
    expect(verifier.verify(a.token)?.name).toBe('a');
    expect(verifier.verify(b.token)?.name).toBe('b');
    expect(verifier.verify(a.token.slice(0, -1))).toBeUndefined();
    expect(verifier.verify('')).toBeUndefined();
    expect(a.entry.hash).toBe(hashApiToken(a.token));
    expect(a.entry.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('refuses a token list that is not JSON, holds a raw token or an unknown scope, without quoting it', () => {
    const secret = 'rxb_thisIsARawTokenPastedByMistake1234567890';
    const attempt = (value: string) => {
      try {
        loadConfig(httpEdgeConfig(8080), { HTTP_API_TOKENS: value });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).message;
      }
      throw new Error('accepted');
    };
    const notJson = attempt(`[{"name": "pms", "hash": ${secret}}]`);
    expect(notJson).toContain('HTTP_API_TOKENS: must be a JSON array');
    const rawToken = attempt(JSON.stringify([{ name: 'pms', hash: secret, scopes: ['stock:read'] }]));
    expect(rawToken).toContain('the hash, not the token');
    const badScope = attempt(
      JSON.stringify([{ name: 'pms', hash: hashApiToken(secret), scopes: ['stock:everything'] }]),
    );
    expect(badScope).toContain('HTTP_API_TOKENS');
    const twice = attempt(
      JSON.stringify([mintApiToken('pms', ['stock:read']).entry, mintApiToken('pms', ['stock:read']).entry]),
    );
    expect(twice).toContain('is used twice');
    for (const message of [notJson, rawToken, badScope]) expect(message).not.toContain(secret);
  });
});

describe('api-token.mjs (the minting script, as a real process)', () => {
  it('prints a token once and an entry the kit admits with exactly the given scopes', async () => {
    const { stdout } = await run(process.execPath, [
      script,
      'create',
      '--name',
      'pms',
      '--scopes',
      'stock:write,orders:read',
    ]);
    const token = /^token: (\S+)$/m.exec(stdout)![1]!;
    const entry = JSON.parse(/^entry: (.+)$/m.exec(stdout)![1]!) as {
      name: string;
      hash: string;
      scopes: string[];
    };
    expect(entry).toEqual({ name: 'pms', hash: hashApiToken(token), scopes: ['stock:write', 'orders:read'] });
    const config = loadConfig(httpEdgeConfig(8080), { HTTP_API_TOKENS: JSON.stringify([entry]) });
    const caller = new ApiTokenVerifier(config.tokens).verify(token);
    expect(caller?.name).toBe('pms');
    expect([...caller!.scopes]).toEqual(['stock:write', 'orders:read']);
    // two runs never mint the same token
    const again = await run(process.execPath, [script, 'create', '--name', 'pms', '--scopes', 'stock:write']);
    expect(/^token: (\S+)$/m.exec(again.stdout)![1]).not.toBe(token);
  });

  it('knows the same scopes as the kit', async () => {
    const { stdout } = await run(process.execPath, [script, 'scopes']);
    expect(stdout.trim().split('\n')).toEqual(ApiScope.options);
  });

  it('refuses an unknown scope or a bad name with exit code 2 and prints no token', async () => {
    for (const args of [
      ['create', '--name', 'pms', '--scopes', 'stock:write,stock:everything'],
      ['create', '--name', 'PMS desk', '--scopes', 'stock:write'],
      ['create', '--name', 'pms'],
    ]) {
      const failure = (await run(process.execPath, [script, ...args]).then(
        () => undefined,
        (error: unknown) => error,
      )) as { code: number; stdout: string; stderr: string } | undefined;
      expect(failure?.code).toBe(2);
      expect(failure?.stdout).toBe('');
      expect(failure?.stderr).toMatch(/must|unknown scope/);
    }
  });
});
