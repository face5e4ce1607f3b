// @ts-check
// The parts of RxBridge that `npm start` runs after the infrastructure, in start order. Each waits until
// the previous one answers on its `ready` path; `prepare` may compute env from what already runs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { subscribeGatewayAtSandbox } from './gateway-wiring.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const SANDBOX_URL = 'http://127.0.0.1:4010';
const GATEWAY_URL = 'http://127.0.0.1:3000';

/**
 * @typedef {object} StackApp
 * @property {string} name
 * @property {string} dir
 * @property {string} url
 * @property {Record<string, string>} env
 * @property {string} [ready] path answered 2xx once the app can take work
 * @property {() => Promise<Record<string, string>>} [prepare] more env, computed before the app starts
 */

/** @type {StackApp[]} */
export const apps = [
  {
    // RxScale in a box, with the invented demo chain (apps/rxscale-sandbox/README.md); demo keys only.
    name: 'sandbox',
    dir: 'apps/rxscale-sandbox',
    url: SANDBOX_URL,
    env: {
      SANDBOX_PORT: '4010',
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_SEED: 'seed/demo-chain.json',
      SANDBOX_RATE_LIMIT: 'on',
    },
    ready: '/_admin/state',
  },
  {
    name: 'gateway',
    dir: 'apps/gateway',
    url: GATEWAY_URL,
    env: { GATEWAY_PORT: '3000', GATEWAY_HOST: '127.0.0.1' },
    ready: '/health/ready',
    prepare: () =>
      subscribeGatewayAtSandbox({
        root,
        sandboxUrl: SANDBOX_URL,
        gatewayWebhookUrl: `${GATEWAY_URL}/webhooks/rxscale`,
        seedFile: 'apps/rxscale-sandbox/seed/demo-chain.json',
      }),
  },
];
