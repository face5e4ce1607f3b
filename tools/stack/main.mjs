// @ts-check
// The stack commands behind the root npm scripts: start, test, bench and kafka.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafka, stopKafka } from '../kafka/kafka.mjs';
import { startPostgres } from '../postgres/postgres.mjs';
import { DEFAULT_PORTS, infrastructureEnv, stackApps, stackGroups } from './apps.mjs';
import { mintStackCredentials, writeCredentialsFile } from './credentials.mjs';
import { startStack } from './run-stack.mjs';
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
  const env = infrastructureEnv({ databaseUrl: postgres.url, brokers: kafka.brokers });
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
      return startCommand(args, tools);
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
  for (const run of runs) {
    for (const f of run.failures ?? []) {
      console.log(`\n[test] failed: ${relative(root, join(run.cwd, f.path))} › ${f.name}\n${f.message}`);
    }
  }
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

/**
 * The stack's options from the command line and env: `--no-simulator` or RXBRIDGE_SIMULATOR=off leaves the
 * simulator out; RXBRIDGE_STACK_PORT_OFFSET moves every port and RXBRIDGE_STACK_GROUP_SUFFIX renames the
 * consumer groups (two stacks on one machine and broker, as the e2e tests run it).
 * @param {string[]} args @param {NodeJS.ProcessEnv} env
 */
export function startOptions(args, env) {
  const unknown = args.filter((a) => a !== '--no-simulator');
  if (unknown.length > 0)
    throw new Error(`unknown option ${unknown[0]}; usage: npm start [-- --no-simulator]`);
  const sim = (env.RXBRIDGE_SIMULATOR ?? 'on').toLowerCase();
  if (sim !== 'on' && sim !== 'off') throw new Error('RXBRIDGE_SIMULATOR must be on or off');
  const offsetText = env.RXBRIDGE_STACK_PORT_OFFSET ?? '0';
  if (!/^\d{1,5}$/.test(offsetText) || Number(offsetText) > 60000)
    throw new Error('RXBRIDGE_STACK_PORT_OFFSET must be a whole number from 0 to 60000');
  const offset = Number(offsetText);
  const ports = /** @type {typeof DEFAULT_PORTS} */ (
    Object.fromEntries(Object.entries(DEFAULT_PORTS).map(([k, v]) => [k, v + offset]))
  );
  const groupSuffix = env.RXBRIDGE_STACK_GROUP_SUFFIX ?? '';
  if (!/^[A-Za-z0-9._-]{0,40}$/.test(groupSuffix))
    throw new Error('RXBRIDGE_STACK_GROUP_SUFFIX may hold up to 40 letters, digits, ".", "_" or "-"');
  return { simulator: sim === 'on' && !args.includes('--no-simulator'), ports, groupSuffix };
}

/** Where `npm start` writes this run's API tokens (git-ignored, 0600); RXBRIDGE_STACK_CREDENTIALS_FILE moves it. */
export const CREDENTIALS_FILE = join(root, 'tools', '.cache', 'stack-credentials.json');

/** @param {string[]} args @param {{ pnpm: (a: string[]) => number }} tools */
async function startCommand(args, tools) {
  const options = startOptions(args, process.env);
  const credentialsFile = process.env.RXBRIDGE_STACK_CREDENTIALS_FILE || CREDENTIALS_FILE;
  if (tools.pnpm(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']) !== 0) return 1;
  const infra = await startInfrastructure();
  const env = { ...process.env, ...infra.env };
  /** @type {import('./run-stack.mjs').RunningStack | undefined} */
  let stack;
  let stopping = false;
  const stopAll = async (/** @type {number} */ code) => {
    if (stopping) return;
    stopping = true;
    console.log('\n[stack] stopping');
    await stack?.stop();
    await infra.stop();
    console.log('[stack] stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const topics = await provisionCatalogTopics(
      infra.env.KAFKA_BROKERS,
      Object.values(stackGroups(options.groupSuffix)),
    );
    if (topics.created.length > 0) console.log(`[stack] created topics: ${topics.created.join(', ')}`);
    const credentials = await mintStackCredentials();
    const apps = stackApps({
      ports: options.ports,
      credentials,
      simulator: options.simulator,
      groupSuffix: options.groupSuffix,
    });
    const urls = Object.fromEntries(apps.filter((a) => a.url.startsWith('http')).map((a) => [a.name, a.url]));
    writeCredentialsFile(credentialsFile, credentials, urls);
    stack = await startStack({
      apps,
      env,
      onExit: (name, code) => {
        console.error(`[stack] ${name} exited (${code}); stopping everything`);
        void stopAll(1);
      },
    });
    const listening = [
      `PostgreSQL        ${redactUrl(infra.env.DATABASE_URL)}`,
      `Kafka             ${infra.env.KAFKA_BROKERS}`,
      ...stack.listening,
    ];
    console.log(
      `\n[stack] RxBridge is running${options.simulator ? ' with the pharmacy simulator' : " without the simulator (do the pharmacy's steps by hand)"}. Ctrl-C stops everything it started.\n  ${listening.join('\n  ')}\n  API token for curl (this run only): ${shownPath(credentialsFile)}\n`,
    );
  } catch (err) {
    console.error(`[stack] ${err instanceof Error ? err.message : String(err)}; stopping everything`);
    await stopAll(1);
  }
  // Nothing else may hold the event loop open (an external broker): wait for a signal.
  setInterval(() => {}, 1 << 30);
  await new Promise(() => {});
  return 0;
}

/** @param {string | undefined} url */
function redactUrl(url) {
  if (!url) return '';
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * A path as the banner shows it: relative to where `npm start` runs when it lies below it, else absolute
 * (`../../tmp/…` says less than `/tmp/…`). @param {string} path
 */
function shownPath(path) {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
