// The sandbox as a library: tests (and the client's tests) start one per suite on port 0.
export { startSandbox, type RunningSandbox } from './sandbox.js';
export { optionsFromEnv, SandboxEnv, type SandboxOptions, type WebhookDeliveryOptions } from './config.js';
export { FaultSpec } from './faults.js';
export { SeedFile } from './admin-schemas.js';
export type { DeliveryAttempt, DeliveryRecord } from './webhooks/webhook-dispatcher.js';
export type { RequestLogEntry } from './request-log.js';
export type { RateLimitStats } from './rate-limiter.js';
export type { StatusChange } from './store.js';
