import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { brokers } from '@rxbridge/testing';

export const CLI = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/main.js <args>` as a real child process with exactly `env` (plus PATH), so a test sees what an
 * operator sees: the exit code, stdout and stderr. The package's test script builds dist first.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const clean: Record<string, string> = { PATH: process.env.PATH ?? '', KAFKAJS_NO_PARTITIONER_WARNING: '1' };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: clean, timeout: 90_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export function parseJson<T = unknown>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}): ${run.stdout}\nstderr: ${run.stderr}`);
  }
}

/** The brokers the tests' CLI runs are pointed at, as KAFKA_BROKERS spells them. */
export const KAFKA_BROKERS = brokers.join(',');
