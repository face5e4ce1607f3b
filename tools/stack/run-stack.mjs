// @ts-check
// Starts the stack's apps one after another as child processes, each once the previous answers on its
// `ready` path, and stops them in reverse order. `npm start` and the end-to-end tests both use this.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preparedEnv } from './apps.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * @typedef {object} RunningStack
 * @property {Map<string, import('node:child_process').ChildProcess>} children
 * @property {string[]} listening one line per app: name and URL
 * @property {() => Promise<void>} stop SIGTERM in reverse start order; resolves once every child exited
 */

/**
 * @param {{
 *   apps: import('./apps.mjs').StackApp[],
 *   env: NodeJS.ProcessEnv,
 *   onOutput?: (app: string, chunk: Buffer) => void,
 *   onExit?: (app: string, code: number | null) => void,
 *   readyTimeoutMs?: number,
 * }} o
 * @returns {Promise<RunningStack>}
 */
export async function startStack(o) {
  /** @type {Map<string, import('node:child_process').ChildProcess>} */
  const children = new Map();
  /** @type {string[]} */
  const listening = [];
  let stopping = false;
  const stop = async () => {
    stopping = true;
    for (const [, child] of [...children].reverse()) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      }
    }
  };
  try {
    for (const app of o.apps) {
      const entry = join(root, app.dir, app.entry);
      if (!existsSync(entry)) throw new Error(`${app.name} is not built (${entry} missing)`);
      const prepared = await preparedEnv(app);
      const child = spawn(process.execPath, [entry], {
        cwd: join(root, app.dir),
        env: { ...o.env, ...app.env, ...prepared },
        stdio: o.onOutput ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      });
      if (o.onOutput) {
        const forward = (/** @type {Buffer} */ chunk) => o.onOutput?.(app.name, chunk);
        child.stdout?.on('data', forward);
        child.stderr?.on('data', forward);
      }
      child.on('exit', (code) => {
        if (!stopping) o.onExit?.(app.name, code);
      });
      children.set(app.name, child);
      listening.push(`${app.name.padEnd(17)} ${app.url}`);
      if (app.ready && !(await answers(`${app.url}${app.ready}`, child, o.readyTimeoutMs ?? 60_000)))
        throw new Error(
          child.exitCode !== null
            ? `${app.name} exited (${child.exitCode}) before answering ${app.url}${app.ready}`
            : `${app.name} did not answer ${app.url}${app.ready} within ${(o.readyTimeoutMs ?? 60_000) / 1000} s`,
        );
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { children, listening, stop };
}

/**
 * Polls a URL until it answers 2xx, the child exits, or the time is up.
 * @param {string} url @param {import('node:child_process').ChildProcess} child @param {number} timeoutMs
 */
async function answers(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
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
