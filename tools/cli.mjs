#!/usr/bin/env node
// @ts-check
// Entry point of the root npm scripts. It needs nothing but Node.js: it fetches the pinned pnpm into a
// git-ignored cache, installs the workspace, then hands over to the stack commands.
//   node tools/cli.mjs start            run the whole system on its local defaults (Ctrl-C stops it)
//   node tools/cli.mjs test             run every test against a real Kafka and PostgreSQL
//   node tools/cli.mjs bench <name>     run one benchmark from bench/
//   node tools/cli.mjs kafka start|stop the local broker alone
//   node tools/cli.mjs pnpm <args>      the workspace's pinned pnpm
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [major, minor] = process.versions.node.split('.').map(Number);
if ((major ?? 0) < 20 || (major === 20 && (minor ?? 0) < 19)) {
  console.error(`RxBridge needs Node.js 20.19 or newer; this is ${process.version}.`);
  process.exit(1);
}

const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const pnpmHome = join(root, 'tools', '.cache', `pnpm-${pnpmVersion}`);
const pnpmBinDir = join(pnpmHome, 'node_modules', '.bin');
const pnpmBin = join(pnpmBinDir, 'pnpm');
process.env.TURBO_TELEMETRY_DISABLED ??= '1';
// Every child (turbo, package scripts) finds this pnpm first.
process.env.PATH = `${pnpmBinDir}${delimiter}${process.env.PATH ?? ''}`;

/** @param {string} cmd @param {string[]} args @param {object} [extra] */
function run(cmd, args, extra = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...extra });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

export function ensurePnpm() {
  if (!existsSync(pnpmBin)) {
    console.log(`[setup] fetching pnpm ${pnpmVersion} into ${pnpmHome}`);
    const status = run('npm', [
      'install',
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      '--prefix',
      pnpmHome,
      `pnpm@${pnpmVersion}`,
    ]);
    if (status !== 0 || !existsSync(pnpmBin)) {
      console.error('[setup] could not fetch pnpm from the npm registry');
      process.exit(1);
    }
  }
  return pnpmBin;
}

/** @param {string[]} args */
function pnpm(args) {
  return run(ensurePnpm(), args);
}

function install() {
  const status = pnpm(['install', '--frozen-lockfile', '--reporter=silent']);
  if (status !== 0) {
    console.error('[setup] pnpm install failed');
    process.exit(status);
  }
}

function buildToolsDependencies() {
  const status = pnpm([
    'exec',
    'turbo',
    'run',
    'build',
    '--filter=@rxbridge/tools^...',
    '--output-logs=errors-only',
  ]);
  if (status !== 0) {
    console.error('[setup] building the packages the stack scripts use failed');
    process.exit(status);
  }
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'pnpm':
    process.exit(pnpm(rest));
    break;
  case 'start':
  case 'test':
  case 'bench':
  case 'kafka': {
    install();
    // The stack scripts import the workspace's own packages (service-kit, contracts) from their dist/,
    // which a fresh clone does not have yet: build those first (turbo's cache makes a rerun cheap).
    buildToolsDependencies();
    const { main } = await import('./stack/main.mjs');
    try {
      process.exitCode = await main(command, rest, { pnpm: (/** @type {string[]} */ a) => pnpm(a) });
    } catch (err) {
      console.error(`[${command}] ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
    break;
  }
  default:
    console.error('usage: node tools/cli.mjs start | test | bench <name> | kafka start|stop | pnpm <args>');
    process.exit(2);
}
