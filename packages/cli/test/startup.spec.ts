import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '@rxbridge/testing';
import { CLI, type CliRun } from './support/run-cli.js';

/**
 * What a command loads, asserted by module (no timing): every invocation used to import service-kit's main
 * entry and with it Nest, Fastify and TypeORM (~1.7 s of CPU for `--help`). Each command now loads only what
 * it needs. The CLI runs with test/support/module-log.mjs, which records the URL of every module loaded.
 */
const HOOK = new URL('./support/module-log.mjs', import.meta.url).href;

let dir: string;
let runs = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxbridge-cli-startup-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadedBy(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ run: CliRun; modules: string[] }> {
  const log = join(dir, `modules-${++runs}.log`);
  const run = await new Promise<CliRun>((resolve) => {
    execFile(
      process.execPath,
      ['--import', HOOK, CLI, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          KAFKAJS_NO_PARTITIONER_WARNING: '1',
          RXBRIDGE_MODULE_LOG: log,
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
  const modules = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  return { run, modules };
}

/** The heavy packages and entries a module list holds, by name (pnpm's paths end in node_modules/<name>/). */
const HEAVY: Record<string, RegExp> = {
  nest: /\/node_modules\/@nestjs\//,
  fastify: /\/node_modules\/fastify\//,
  typeorm: /\/node_modules\/typeorm\//,
  kafkajs: /\/node_modules\/kafkajs\//,
  pg: /\/node_modules\/pg\//,
  pino: /\/node_modules\/pino\//,
  'service-kit (main entry)': /\/service-kit\/dist\/index\.js$/,
  'contracts (main entry)': /\/contracts\/dist\/index\.js$/,
  'rxscale-client (main entry)': /\/rxscale-client\/dist\/index\.js$/,
};
const heavyIn = (modules: string[]): string[] =>
  Object.entries(HEAVY)
    .filter(([, pattern]) => modules.some((url) => pattern.test(url)))
    .map(([name]) => name);

describe('what an rxbridge command loads', () => {
  it('--help, a subcommand help and a usage error load none of the heavy packages', async () => {
    for (const [args, code] of [
      [['--help'], 0],
      [['dlq', 'replay', '--help'], 0],
      [['no-such-command'], 2],
    ] as const) {
      const { run, modules } = await loadedBy([...args]);
      expect({ args, code: run.code }).toEqual({ args, code });
      // the log does see the CLI's own imports (else an empty log would pass)
      expect(modules.some((url) => /\/node_modules\/commander\//.test(url))).toBe(true);
      expect({ args, heavy: heavyIn(modules) }).toEqual({ args, heavy: [] });
    }
  });

  it('tokens create loads none of them either', async () => {
    const { run, modules } = await loadedBy(['tokens', 'create', '--name', 'ops', '--scopes', 'operator']);
    expect(run.code).toBe(0);
    expect(modules.some((url) => /\/service-kit\/dist\/entries\/tokens\.js$/.test(url))).toBe(true);
    expect(heavyIn(modules)).toEqual([]);
  });

  it('a Kafka command loads kafkajs (and the kit logger, pino), nothing of Nest, TypeORM or pg', async () => {
    const { run, modules } = await loadedBy(['topics', 'provision'], {
      KAFKA_BROKERS: `127.0.0.1:${await freePort()}`,
    });
    expect(run.code).toBe(3);
    expect(heavyIn(modules)).toEqual(['kafkajs', 'pino']);
  });

  it('health of PostgreSQL alone loads pg, nothing of Nest, TypeORM or kafkajs', async () => {
    const { run, modules } = await loadedBy(['health', '--skip', 'rxscale,kafka,services'], {
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/rxbridge`,
    });
    expect(run.code).toBe(1);
    expect(heavyIn(modules)).toEqual(['pg']);
  });

  it('an RxScale command loads the RxScale client, nothing of Nest, TypeORM or kafkajs', async () => {
    const { run, modules } = await loadedBy(['webhooks', 'list'], {
      RXSCALE_BASE_URL: `http://127.0.0.1:${await freePort()}/v1/external-pharmacy-api-v1`,
      RXSCALE_API_KEY: 'startup-test-key',
      RXSCALE_PHARMACY_UID: 'startup-test-pharmacy',
    });
    expect(run.code).toBe(3);
    expect(heavyIn(modules)).not.toContain('nest');
    expect(heavyIn(modules)).not.toContain('typeorm');
    expect(heavyIn(modules)).not.toContain('kafkajs');
    expect(heavyIn(modules)).toContain('rxscale-client (main entry)');
  });
});
