#!/usr/bin/env node
// @ts-check
// The pharmacy simulator as a process (npm start runs it last): env in, one log line per step, SIGTERM stops it.
//   SIMULATOR_TOKEN (required), ORDER_SERVICE_URL, INVENTORY_SERVICE_URL, SHIPPING_SERVICE_URL,
//   SIMULATOR_SEED (the sandbox's seed file), SIMULATOR_PACK_DELAY_MS, SIMULATOR_POLL_MS, SIMULATOR_CARRIER.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSimulator } from './simulator.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = process.env;

/** @param {string} name @param {number} dflt */
function intVar(name, dflt) {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  if (!/^\d+$/.test(v)) {
    console.error(`[simulator] refusing to start: ${name} must be a whole number of milliseconds`);
    process.exit(78);
  }
  return Number(v);
}

const token = env.SIMULATOR_TOKEN;
if (!token) {
  console.error('[simulator] refusing to start: SIMULATOR_TOKEN is required');
  process.exit(78);
}
const seedFile = resolve(root, env.SIMULATOR_SEED ?? 'apps/rxscale-sandbox/seed/demo-chain.json');
const simulator = createSimulator({
  orderServiceUrl: env.ORDER_SERVICE_URL ?? 'http://127.0.0.1:3001',
  inventoryServiceUrl: env.INVENTORY_SERVICE_URL ?? 'http://127.0.0.1:3002',
  shippingServiceUrl: env.SHIPPING_SERVICE_URL ?? 'http://127.0.0.1:3003',
  token,
  seed: JSON.parse(readFileSync(seedFile, 'utf8')),
  packDelayMs: intVar('SIMULATOR_PACK_DELAY_MS', 2000),
  pollMs: intVar('SIMULATOR_POLL_MS', 1000),
  carrier: env.SIMULATOR_CARRIER ?? 'DHL',
});
const stop = async () => {
  await simulator.stop();
  console.log('[simulator] stopped');
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
await simulator.start();
