import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { allTopics } from '@rxbridge/contracts';
import { ApiTokenVerifier, type ApiTokenEntry } from '@rxbridge/service-kit';
import { kafkaClient } from '@rxbridge/testing';
import { type Admin } from 'kafkajs';
import { KAFKA_BROKERS, parseJson, runCli } from './support/run-cli.js';

describe('rxbridge tokens create', () => {
  it('mints a token the services accept with exactly the scopes asked for', async () => {
    const run = await runCli([
      'tokens',
      'create',
      '--name',
      'night-ops',
      '--scopes',
      'operator,orders:read',
      '--json',
    ]);
    expect(run.code).toBe(0);
    const { token, entry } = parseJson<{ token: string; entry: ApiTokenEntry }>(run);
    expect(entry).toMatchObject({ name: 'night-ops', scopes: ['operator', 'orders:read'] });
    const caller = new ApiTokenVerifier([entry]).verify(token);
    expect(caller?.name).toBe('night-ops');
    expect([...caller!.scopes]).toEqual(['operator', 'orders:read']);
    expect(new ApiTokenVerifier([entry]).verify(`${token}x`)).toBeUndefined();
  });

  it('prints the token once and the HTTP_API_TOKENS entry as text', async () => {
    const run = await runCli(['tokens', 'create', '--name', 'pms', '--scopes', 'stock:write']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^token: rxb_[A-Za-z0-9_-]{43}\nentry: \{"name":"pms","hash":"sha256:[0-9a-f]{64}","scopes":\["stock:write"\]\}\n/,
    );
  });

  it.each([
    [['--name', 'ops', '--scopes', 'operator,root'], 'unknown scope(s): root'],
    [['--name', 'Bad Name', '--scopes', 'operator'], '--name must be'],
    [['--name', 'ops'], "required option '--scopes <scopes>' not specified"],
    [['--name', 'ops', '--scopes', ' , '], 'at least one scope'],
  ])('refuses %j with exit 2 and says why', async (args, message) => {
    const run = await runCli(['tokens', 'create', ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).not.toContain('rxb_');
  });

  it('is installed at the root as the bin rxbridge (what `npx rxbridge` runs)', async () => {
    const bin = fileURLToPath(new URL('../../../node_modules/.bin/rxbridge', import.meta.url));
    const { stdout } = await promisify(execFile)(bin, ['tokens', 'scopes', '--json']);
    expect(JSON.parse(stdout)).toContain('operator');
  });

  it('has --help on every level', async () => {
    for (const args of [
      ['--help'],
      ['tokens', '--help'],
      ['tokens', 'create', '--help'],
      ['dlq', 'replay', '--help'],
    ]) {
      const run = await runCli(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Usage: rxbridge');
    }
    expect((await runCli(['--help'])).stdout).toContain('78  bad configuration');
    expect((await runCli(['no-such-command'])).code).toBe(2);
  });
});

describe('rxbridge topics provision', () => {
  let admin: Admin;
  beforeAll(async () => {
    admin = kafkaClient('cli-test', KAFKA_BROKERS.split(',')).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it("creates the catalog's topics with their partitions and settings, and a rerun changes nothing", async () => {
    const first = await runCli(['topics', 'provision', '--json'], { KAFKA_BROKERS });
    expect(first.code).toBe(0);
    const report = parseJson<{ created: string[]; existing: string[]; mismatches: unknown[] }>(first);
    const names = allTopics().map((t) => t.name);
    expect([...report.created, ...report.existing].sort()).toEqual([...names].sort());
    const metadata = await admin.fetchTopicMetadata({ topics: names });
    for (const t of allTopics())
      expect(metadata.topics.find((m) => m.name === t.name)?.partitions).toHaveLength(t.partitions);
    const second = parseJson<{ created: string[]; existing: string[] }>(
      await runCli(['topics', 'provision', '--json'], { KAFKA_BROKERS }),
    );
    expect(second.created).toEqual([]);
    expect(second.existing.sort()).toEqual([...names].sort());
  });

  it('exits 3 naming the broker and the variable when Kafka is unreachable', async () => {
    const run = await runCli(['topics', 'provision'], { KAFKA_BROKERS: '127.0.0.1:1' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('Kafka at 127.0.0.1:1 is unreachable');
    expect(run.stderr).toContain('KAFKA_BROKERS');
  });

  it('exits 78 on a bad KAFKA_BROKERS', async () => {
    const run = await runCli(['topics', 'provision'], { KAFKA_BROKERS: 'not a broker' });
    expect(run.code).toBe(78);
    expect(run.stderr).toContain('KAFKA_BROKERS');
  });
});
