import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const register = fileURLToPath(new URL('../fixtures/register-ts.mjs', import.meta.url));

export interface Child {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ready: Promise<void>;
  output: () => string;
}

/**
 * Runs a fixture as a real child process (its own Kafka clients and pool), so it can be SIGKILLed. It
 * inherits DATABASE_URL and KAFKA_BROKERS and reads them through @rxbridge/testing, as this process does.
 */
export function runFixture(name: string, env: Record<string, string>): Child {
  const script = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', register, script], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (out.includes('ready\n')) resolve();
    });
    void exited.then(() =>
      out.includes('ready\n') ? resolve() : reject(new Error(`fixture ${name} exited before ready:\n${out}`)),
    );
  });
  return { process: child, exited, ready, output: () => out };
}
