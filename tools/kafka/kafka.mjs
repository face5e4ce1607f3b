// @ts-check
// A single-node Apache Kafka (KRaft: broker and controller in one JVM) for development, tests and benchmarks.
// The broker's jars come from Maven Central through pom.xml into a git-ignored cache; its data and log live
// in a git-ignored folder. Start is idempotent and waits until the broker answers a metadata request;
// stop ends only the process that start launched (its pid is recorded next to the data).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  closeSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * @typedef {object} KafkaOptions
 * @property {Record<string, string | undefined>} [env]
 * @property {(line: string) => void} [log]
 * @property {(pid: number) => string | undefined} [commandLineOf] how a process's command line is read
 *   (tests replace it to show what happens when it cannot be)
 */

/** Where the broker lives, all overridable so tests can run a second broker beside the shared one. */
export function kafkaSettings(env = process.env) {
  const port = Number(env.RXBRIDGE_KAFKA_PORT ?? 9092);
  const home = env.RXBRIDGE_KAFKA_HOME ?? here;
  return {
    port,
    controllerPort: Number(env.RXBRIDGE_KAFKA_CONTROLLER_PORT ?? port + 1),
    brokers: `127.0.0.1:${port}`,
    cacheDir: env.RXBRIDGE_KAFKA_CACHE ?? join(home, '.cache'),
    dataDir: env.RXBRIDGE_KAFKA_DATA ?? join(home, '.data'),
    heap: env.RXBRIDGE_KAFKA_HEAP ?? '512m',
    startTimeoutMs: Number(env.RXBRIDGE_KAFKA_START_TIMEOUT_MS ?? 90_000),
  };
}

export class MissingToolError extends Error {
  /** @param {string} tool @param {string} why */
  constructor(tool, why) {
    super(`${tool} was not found on PATH: ${why}`);
    this.name = 'MissingToolError';
    this.tool = tool;
  }
}

/** @param {string} cmd @param {string[]} args @param {NodeJS.ProcessEnv} env */
function toolAnswers(cmd, args, env) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
  return !r.error;
}

/**
 * Fetches the broker's jars into the cache once (needs Maven); later starts reuse them.
 * @param {ReturnType<typeof kafkaSettings>} s @param {NodeJS.ProcessEnv} env @param {(l: string) => void} log
 */
export function ensureKafkaJars(s, env, log) {
  const libs = join(s.cacheDir, 'libs');
  const marker = join(libs, '.complete');
  const pom = join(here, 'pom.xml');
  const pomText = readFileSync(pom, 'utf8');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === pomText) return libs;
  if (!toolAnswers('mvn', ['-v'], env)) {
    throw new MissingToolError(
      'Maven (mvn)',
      'it fetches the Apache Kafka broker from Maven Central on first use. Install Maven, or set KAFKA_BROKERS to use an existing Kafka cluster.',
    );
  }
  log(`fetching the Kafka broker from Maven Central into ${libs} (first run only)`);
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(libs, { recursive: true });
  const r = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      pom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
    ],
    { env, encoding: 'utf8' },
  );
  if (r.status !== 0) {
    throw new Error(
      `fetching the Kafka broker with Maven failed (exit ${r.status}):\n${(r.stdout ?? '') + (r.stderr ?? '')}`,
    );
  }
  if (!readdirSync(libs).some((f) => f.startsWith('kafka_2.13-')))
    throw new Error(`Maven ran but ${libs} holds no kafka_2.13 jar`);
  writeFileSync(marker, pomText);
  return libs;
}

/** @param {ReturnType<typeof kafkaSettings>} s */
function serverProperties(s) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${s.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${s.port},CONTROLLER://127.0.0.1:${s.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${s.port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(s.dataDir, 'kraft-logs')}`,
    'num.partitions=1',
    // One broker: every internal topic at replication factor 1, or consumer groups never get a coordinator.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are provisioned explicitly by RxBridge; tests create their own. Production never relies on this.
    'auto.create.topics.enable=false',
    'num.network.threads=2',
    'num.io.threads=2',
    'log.retention.hours=24',
    'log.segment.bytes=67108864',
    '',
  ].join('\n');
}

/** @param {number} pid */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The command line of a process, or undefined when it cannot be read (no /proc, no such process).
 * @param {number} pid
 */
export function commandLineOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    // No /proc (macOS): ps prints the arguments of a process we may not read otherwise.
    const r = spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
    return r.status === 0 && r.stdout.trim() !== '' ? r.stdout : undefined;
  }
}

/**
 * True only when the process is provably the broker started from this data folder: its command line runs
 * kafka.Kafka with this folder's server.properties. A pid file outlives its process and pids are reused, so
 * a live pid alone proves nothing; what cannot be read is not ours.
 * @param {number} pid @param {ReturnType<typeof kafkaSettings>} s
 * @param {(pid: number) => string | undefined} readCommandLine
 */
function isOurBroker(pid, s, readCommandLine) {
  if (!isAlive(pid)) return false;
  const cmd = readCommandLine(pid);
  return (
    cmd !== undefined && cmd.includes('kafka.Kafka') && cmd.includes(join(s.dataDir, 'server.properties'))
  );
}

/** @param {number} port */
function portAnswers(port) {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/**
 * True once the cluster answers a metadata request (describeCluster) through kafkajs.
 * @param {string} brokers @param {number} timeoutMs
 */
export async function brokerAnswers(brokers, timeoutMs = 3000) {
  // Not service-kit's createKafkaClient: this runs before the workspace is built (the broker starts first).
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({
    clientId: 'rxbridge-stack',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** @param {string} file @param {number} lines */
function tail(file, lines) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

/**
 * Starts the local broker unless KAFKA_BROKERS names a cluster or ours already runs.
 * @param {KafkaOptions} [opts]
 * @returns {Promise<{ brokers: string, startedByUs: boolean, external: boolean, pid?: number, logFile?: string }>}
 */
export async function startKafka(opts = {}) {
  const env = { ...process.env, ...(opts.env ?? {}) };
  const log = opts.log ?? ((l) => console.log(`[kafka] ${l}`));
  if (env.KAFKA_BROKERS) {
    log(`KAFKA_BROKERS is set: using ${env.KAFKA_BROKERS}, starting nothing`);
    return { brokers: env.KAFKA_BROKERS, startedByUs: false, external: true };
  }
  const s = kafkaSettings(env);
  const pidFile = join(s.dataDir, 'broker.pid');
  const logFile = join(s.dataDir, 'broker.log');

  const readCommandLine = opts.commandLineOf ?? commandLineOf;
  const recorded = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : undefined;
  if (recorded && isOurBroker(recorded, s, readCommandLine)) {
    if (await waitUntilReady(s, recorded, logFile)) {
      log(`already running (pid ${recorded}) on ${s.brokers}`);
      return { brokers: s.brokers, startedByUs: false, external: false, pid: recorded, logFile };
    }
  }
  if (await portAnswers(s.port)) {
    if (await brokerAnswers(s.brokers)) {
      log(`a Kafka broker not started by this script already answers on ${s.brokers}; using it`);
      return { brokers: s.brokers, startedByUs: false, external: true };
    }
    throw new Error(
      `port ${s.port} on 127.0.0.1 is taken by something that is not a Kafka broker; free it or set RXBRIDGE_KAFKA_PORT`,
    );
  }

  if (!toolAnswers('java', ['-version'], env)) {
    throw new MissingToolError(
      'Java (java)',
      'Java 17 or newer runs the local Kafka broker. Install a JDK, or set KAFKA_BROKERS to use an existing Kafka cluster.',
    );
  }
  const libs = ensureKafkaJars(s, env, log);
  mkdirSync(s.dataDir, { recursive: true });
  const props = join(s.dataDir, 'server.properties');
  writeFileSync(props, serverProperties(s));
  const classpath = `${libs}/*`;
  const log4j = `-Dlog4j2.configurationFile=${join(here, 'log4j2.properties')}`;

  const metaFile = join(s.dataDir, 'kraft-logs', 'meta.properties');
  if (!existsSync(metaFile)) {
    // An id starting with '-' is read as an option by the storage tool (1 in 64 starts failed); Kafka's own
    // Uuid.randomUuid() redraws such ids too.
    let clusterId;
    do clusterId = randomBytes(16).toString('base64url').slice(0, 22);
    while (clusterId.startsWith('-'));
    const fmt = spawnSync(
      'java',
      [
        '-cp',
        classpath,
        log4j,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        props,
        '--ignore-formatted',
      ],
      { env, encoding: 'utf8' },
    );
    if (fmt.status !== 0) throw new Error(`formatting Kafka storage failed:\n${fmt.stdout}${fmt.stderr}`);
  }

  const out = openSync(logFile, 'a');
  const child = spawn(
    'java',
    [
      `-Xms${s.heap}`,
      `-Xmx${s.heap}`,
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-Djava.awt.headless=true',
      log4j,
      '-cp',
      classpath,
      'kafka.Kafka',
      props,
    ],
    { env, detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  // A JVM that exits at once (bad heap, port race) must end the wait now, not after the start timeout.
  /** @type {{ code: number | null, signal: NodeJS.Signals | null } | undefined} */
  let exited;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  child.once('error', () => (exited ??= { code: null, signal: null }));
  child.unref();
  if (!child.pid) throw new Error(`could not launch java for Kafka; see ${logFile}`);
  writeFileSync(pidFile, String(child.pid));
  log(`starting (pid ${child.pid}), log at ${logFile}`);
  if (!(await waitUntilReady(s, child.pid, logFile, () => exited !== undefined))) {
    if (!exited && isAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
    rmSync(pidFile, { force: true });
    const why = exited
      ? `the broker exited (${exited.signal ?? `code ${exited.code}`}) before it answered on ${s.brokers}`
      : `Kafka did not answer on ${s.brokers} within ${s.startTimeoutMs / 1000}s`;
    throw new Error(`${why}; its log is at ${logFile}. Last lines:\n${tail(logFile, 25)}`);
  }
  log(`ready on ${s.brokers}`);
  return { brokers: s.brokers, startedByUs: true, external: false, pid: child.pid, logFile };
}

/**
 * @param {ReturnType<typeof kafkaSettings>} s @param {number} pid @param {string} logFile
 * @param {() => boolean} [hasExited] for a broker this process launched: its exit event fired
 */
async function waitUntilReady(s, pid, logFile, hasExited = () => false) {
  const deadline = Date.now() + s.startTimeoutMs;
  while (Date.now() < deadline) {
    if (hasExited() || !isAlive(pid)) return false;
    if (await brokerAnswers(s.brokers, 2000)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  void logFile;
  return false;
}

/**
 * Stops the broker that startKafka launched from this data folder, and nothing else.
 * @param {KafkaOptions} [opts]
 */
export async function stopKafka(opts = {}) {
  const env = { ...process.env, ...(opts.env ?? {}) };
  const log = opts.log ?? ((l) => console.log(`[kafka] ${l}`));
  const s = kafkaSettings(env);
  const pidFile = join(s.dataDir, 'broker.pid');
  if (!existsSync(pidFile)) {
    log('no broker started from here is running');
    return false;
  }
  const pid = Number(readFileSync(pidFile, 'utf8'));
  if (!pid || !isAlive(pid)) {
    rmSync(pidFile, { force: true });
    log('no broker started from here is running');
    return false;
  }
  if (!isOurBroker(pid, s, opts.commandLineOf ?? commandLineOf)) {
    // Never signal what cannot be shown to be ours: the pid may have been reused by anything.
    rmSync(pidFile, { force: true });
    log(
      `pid ${pid} from ${pidFile} is not provably the broker started from here (its command line cannot be read or differs); not stopping it`,
    );
    return false;
  }
  rmSync(pidFile, { force: true });
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  log(`stopped (pid ${pid})`);
  return true;
}
