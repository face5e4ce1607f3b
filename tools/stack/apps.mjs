// @ts-check
// The parts of RxBridge that `npm start` runs after the infrastructure, in start order.
// Each app lands here with its issue (the sandbox, the gateway, then the services).
/** @type {{ name: string, dir: string, url: string, env: Record<string, string> }[]} */
export const apps = [];
