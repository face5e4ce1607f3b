// @ts-check
// The stack commands behind the root npm scripts: start, test, bench and kafka.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafka, stopKafka } from '../kafka/kafka.mjs';
import { startPostgres } from '../postgres/postgres.mjs';
import { apps } from './apps.mjs';
import { provisionCatalogTopics } from './gateway-wiring.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Infrastructure for a run: the database and the broker, each started only if nothing is there already.
 * The returned stop() ends exactly what this call started.
 */
export async function startInfrastructure() {
  const postgres = await startPostgres();
  let kafka;
  try {
    kafka = await startKafka();
  } catch (err) {
    await postgres.stop();
    throw err;
  }
  const env = {
    DATABASE_URL: postgres.url,
    KAFKA_BROKERS: kafka.brokers,
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
  return {
    env,
    async stop() {
      if (kafka.startedByUs) await stopKafka();
      await postgres.stop();
    },
  };
}

/**
 * @param {string} cmd @param {string[]} args @param {NodeJS.ProcessEnv} env
 * @returns {Promise<number>}
 */
function runChild(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** @param {number} ms */
const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

/**
 * @param {string} command @param {string[]} args @param {{ pnpm: (a: string[]) => number }} tools
 * @returns {Promise<number>}
 */
export async function main(command, args, tools) {
  switch (command) {
    case 'kafka':
      return kafkaCommand(args[0]);
    case 'test':
      return testCommand();
    case 'bench':
      return benchCommand(args, tools);
    case 'start':
      return startCommand(tools);
    default:
      throw new Error(`unknown command ${command}`);
  }
}

/** @param {string | undefined} sub */
async function kafkaCommand(sub) {
  if (sub === 'start') {
    const k = await startKafka();
    console.log(`KAFKA_BROKERS=${k.brokers}`);
    return 0;
  }
  if (sub === 'stop') {
    await stopKafka();
    return 0;
  }
  console.error('usage: npm run kafka -- start|stop');
  return 2;
}

async function testCommand() {
  const began = Date.now();
  const infra = await startInfrastructure();
  const summaryFile = join(mkdtempSync(join(tmpdir(), 'rxbridge-test-')), 'summary.jsonl');
  let status;
  try {
    const env = { ...process.env, ...infra.env, RXBRIDGE_TEST_SUMMARY: summaryFile };
    // Formatting, lint and type-check are part of "every test"; then every package's Jest suite (unit,
    // integration, end-to-end) against the real broker and database. Two at a time: this is a two-core machine.
    const formatted = await runChild(
      process.execPath,
      [join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--check', '--log-level=warn', '.'],
      env,
    );
    if (formatted !== 0) console.error('[test] formatting differs from Prettier: run `npm run format`');
    status = await runChild(
      process.execPath,
      [
        join(root, 'node_modules', 'turbo', 'bin', 'turbo'),
        'run',
        'lint',
        'typecheck',
        'test',
        '--concurrency=2',
        '--continue',
      ],
      env,
    );
    if (formatted !== 0) status = 1;
  } finally {
    await infra.stop();
  }
  const runs = existsSync(summaryFile)
    ? readFileSync(summaryFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  const sum = (/** @type {'passed' | 'failed' | 'skipped'} */ k) => runs.reduce((n, r) => n + r[k], 0);
  if (runs.length === 0 || sum('passed') === 0) {
    console.error('[test] no test ran');
    status = 1;
  }
  console.log(
    `\n[test] ${status === 0 ? 'passed' : 'FAILED'} in ${seconds(Date.now() - began)} (${runs.length} Jest runs)`,
  );
  console.log(`${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
  return status;
}

/** @param {string[]} args @param {{ pnpm: (a: string[]) => number }} tools */
async function benchCommand(args, tools) {
  const name = args[0];
  const benchDir = join(root, 'bench');
  const available = readdirSync(benchDir)
    .filter((f) => f.endsWith('.bench.mjs'))
    .map((f) => f.replace('.bench.mjs', ''));
  if (!name || !available.includes(name)) {
    console.error(`usage: npm run bench -- <name>; benchmarks: ${available.join(', ')}`);
    return 2;
  }
  if (tools.pnpm(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']) !== 0) return 1;
  const infra = await startInfrastructure();
  try {
    return await runChild(process.execPath, [join(benchDir, `${name}.bench.mjs`), ...args.slice(1)], {
      ...process.env,
      ...infra.env,
    });
  } finally {
    await infra.stop();
  }
}

/** @param {{ pnpm: (a: string[]) => number }} tools */
async function startCommand(tools) {
  if (tools.pnpm(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']) !== 0) return 1;
  const infra = await startInfrastructure();
  const env = { ...process.env, ...infra.env };
  /** @type {import('node:child_process').ChildProcess[]} */
  const children = [];
  let stopping = false;
  const stopAll = async (/** @type {number} */ code) => {
    if (stopping) return;
    stopping = true;
    console.log('\n[stack] stopping');
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(
      children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
    );
    await infra.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const listening = [
    `PostgreSQL  ${redactUrl(infra.env.DATABASE_URL)}`,
    `Kafka       ${infra.env.KAFKA_BROKERS}`,
  ];
  try {
    const topics = await provisionCatalogTopics(infra.env.KAFKA_BROKERS);
    if (topics.created.length > 0) console.log(`[stack] created topics: ${topics.created.join(', ')}`);
  } catch (err) {
    console.error(
      `[stack] provisioning the topic catalog failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    await stopAll(1);
  }
  for (const app of apps) {
    const entry = join(root, app.dir, 'dist', 'main.js');
    if (!existsSync(entry)) throw new Error(`${app.name} is not built (${entry} missing)`);
    /** @type {Record<string, string>} */
    let prepared = {};
    try {
      prepared = app.prepare ? await app.prepare() : {};
    } catch (err) {
      console.error(
        `[stack] preparing ${app.name} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      await stopAll(1);
    }
    const child = spawn(process.execPath, [entry], {
      cwd: join(root, app.dir),
      env: { ...env, ...app.env, ...prepared },
      stdio: 'inherit',
    });
    child.on('exit', (code) => {
      if (!stopping) {
        console.error(`[stack] ${app.name} exited (${code}); stopping everything`);
        void stopAll(1);
      }
    });
    children.push(child);
    listening.push(`${app.name.padEnd(11)} ${app.url}`);
    if (app.ready && !(await answers(`${app.url}${app.ready}`, child))) {
      console.error(
        `[stack] ${app.name} did not answer ${app.url}${app.ready} within 60 s; stopping everything`,
      );
      await stopAll(1);
    }
  }
  console.log(
    `\n[stack] RxBridge is running. Ctrl-C stops everything it started.\n  ${listening.join('\n  ')}\n`,
  );
  // Nothing else may hold the event loop open (no app yet, an external broker): wait for a signal.
  setInterval(() => {}, 1 << 30);
  await new Promise(() => {});
  return 0;
}

/**
 * Polls a URL until it answers 2xx, the child exits, or 60 s pass.
 * @param {string} url @param {import('node:child_process').ChildProcess} child
 */
async function answers(url, child) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** @param {string | undefined} url */
function redactUrl(url) {
  if (!url) return '';
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
