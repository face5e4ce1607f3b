// @ts-check
// The parts of RxBridge that `npm start` runs after the infrastructure, in start order.
// Each app lands here with its issue (the sandbox, the gateway, then the services).
/** @type {{ name: string, dir: string, url: string, env: Record<string, string> }[]} */
export const apps = [
  {
    // RxScale in a box, with the invented demo chain (apps/rxscale-sandbox/README.md); demo keys only.
    name: 'sandbox',
    dir: 'apps/rxscale-sandbox',
    url: 'http://127.0.0.1:4010',
    env: {
      SANDBOX_PORT: '4010',
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_SEED: 'seed/demo-chain.json',
      SANDBOX_RATE_LIMIT: 'on',
    },
  },
];
