// The stack's own commands, run as a newcomer runs them (node tools/cli.mjs kafka start|stop), each in a
// throwaway folder and on ports of its own so the shared broker of this test run is never touched.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brokers, freePort, isProcessAlive } from '@rxbridge/testing';
import { brokerAnswers } from '../kafka/kafka.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sharedCache = join(root, 'tools', 'kafka', '.cache');
const sharedBrokers = brokers.join(',');

/** Broker and controller ports nothing listens on: fixed ones collide with other brokers on this machine. */
async function kafkaPorts() {
  const port = await freePort();
  return {
    port,
    env: { RXBRIDGE_KAFKA_PORT: String(port), RXBRIDGE_KAFKA_CONTROLLER_PORT: String(await freePort()) },
  };
}

/** A PATH holding only the named tools (node is always there: the scripts run on it). @param {string[]} tools */
function pathWith(tools) {
  const dir = mkdtempSync(join(tmpdir(), 'rxbridge-path-'));
  for (const tool of ['node', 'npm', ...tools]) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, join(dir, tool));
  }
  return dir;
}

/** @param {string[]} args @param {Record<string, string>} env */
function cli(args, env) {
  const inherited = { ...process.env };
  delete inherited.KAFKA_BROKERS;
  const r = spawnSync(process.execPath, [join(root, 'tools', 'cli.mjs'), ...args], {
    cwd: root,
    env: { ...inherited, ...env },
    encoding: 'utf8',
    timeout: 150_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the local stack scripts', () => {
  /** @type {string[]} */
  const cleanup = [];
  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxbridge-kafka-'));
    cleanup.push(dir);
    return dir;
  };
  afterAll(() => {
    // Stop any broker a failed test left behind before its folder goes.
    for (const dir of cleanup) {
      cli(['kafka', 'stop'], { RXBRIDGE_KAFKA_HOME: dir });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts a broker, reuses it on a second start, and stop ends only the broker it started', async () => {
    const dir = home();
    const ports = await kafkaPorts();
    const env = {
      ...ports.env,
      RXBRIDGE_KAFKA_HOME: dir,
      RXBRIDGE_KAFKA_CACHE: sharedCache,
      RXBRIDGE_KAFKA_HEAP: '256m',
    };
    const first = cli(['kafka', 'start'], env);
    expect(first.out).toContain(`ready on 127.0.0.1:${ports.port}`);
    expect(first.status).toBe(0);
    const pid = Number(readFileSync(join(dir, '.data', 'broker.pid'), 'utf8'));
    expect(isProcessAlive(pid)).toBe(true);
    try {
      const second = cli(['kafka', 'start'], env);
      expect(second.status).toBe(0);
      expect(second.out).toContain(`already running (pid ${pid})`);
      expect(await brokerAnswers(`127.0.0.1:${ports.port}`)).toBe(true);
    } finally {
      const stop = cli(['kafka', 'stop'], env);
      expect(stop.out).toContain(`stopped (pid ${pid})`);
    }
    expect(isProcessAlive(pid)).toBe(false);
    expect(cli(['kafka', 'stop'], env).out).toContain('no broker started from here is running');
    // The broker this test run shares was not started from that folder and is untouched.
    expect(await brokerAnswers(sharedBrokers)).toBe(true);
  });

  it('uses the cluster in KAFKA_BROKERS and starts nothing', async () => {
    const ports = await kafkaPorts();
    const dir = home();
    const r = cli(['kafka', 'start'], {
      KAFKA_BROKERS: sharedBrokers,
      RXBRIDGE_KAFKA_HOME: dir,
      ...ports.env,
    });
    expect(r.status).toBe(0);
    expect(r.out).toContain(`KAFKA_BROKERS is set: using ${sharedBrokers}, starting nothing`);
    expect(existsSync(join(dir, '.data'))).toBe(false);
  });

  it('names Java when java is missing', async () => {
    const ports = await kafkaPorts();
    const dir = home();
    const r = cli(['kafka', 'start'], {
      PATH: pathWith(['mvn']),
      RXBRIDGE_KAFKA_HOME: dir,
      RXBRIDGE_KAFKA_CACHE: sharedCache,
      ...ports.env,
    });
    expect(r.status).toBe(1);
    expect(r.out).toContain('Java (java) was not found on PATH');
    expect(existsSync(join(dir, '.data', 'broker.pid'))).toBe(false);
  });

  it('names Maven when the broker still has to be fetched and mvn is missing', async () => {
    const ports = await kafkaPorts();
    const dir = home();
    const r = cli(['kafka', 'start'], {
      PATH: pathWith(['java']),
      RXBRIDGE_KAFKA_HOME: dir,
      RXBRIDGE_KAFKA_CACHE: join(dir, '.cache'),
      ...ports.env,
    });
    expect(r.status).toBe(1);
    expect(r.out).toContain('Maven (mvn) was not found on PATH');
    expect(existsSync(join(dir, '.data', 'broker.pid'))).toBe(false);
  });
});

describe('the start command', () => {
  it('starts the stack, says where each part listens, and on Ctrl-C stops the broker it started', async () => {
    const ports = await kafkaPorts();
    const dir = mkdtempSync(join(tmpdir(), 'rxbridge-start-'));
    const inherited = { ...process.env };
    delete inherited.KAFKA_BROKERS;
    const child = spawn(process.execPath, [join(root, 'tools', 'cli.mjs'), 'start'], {
      cwd: root,
      env: {
        ...inherited,
        RXBRIDGE_KAFKA_HOME: dir,
        RXBRIDGE_KAFKA_CACHE: sharedCache,
        ...ports.env,
        RXBRIDGE_KAFKA_HEAP: '256m',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await new Promise((resolve, reject) => {
        const poll = setInterval(() => {
          if (out.includes('Ctrl-C stops everything it started')) {
            clearInterval(poll);
            resolve(undefined);
          }
        }, 200);
        void exited.then(() => {
          clearInterval(poll);
          reject(new Error(`start exited early:\n${out}`));
        });
      });
      expect(out).toMatch(new RegExp(`Kafka\\s+127\\.0\\.0\\.1:${ports.port}`));
      expect(out).toMatch(/PostgreSQL\s+postgres:\/\//);
      const pid = Number(readFileSync(join(dir, '.data', 'broker.pid'), 'utf8'));
      expect(isProcessAlive(pid)).toBe(true);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toContain('[kafka] stopped');
      expect(isProcessAlive(pid)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      cli(['kafka', 'stop'], { RXBRIDGE_KAFKA_HOME: dir });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
