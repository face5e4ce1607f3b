// The RxScale contract (zod schemas and their types): requests, responses, webhook events.
export * from './contract/index.js';
// The client: one method per endpoint of API.md §7, over one request executor (retries, timeouts, hooks).
export * from './client/rxscale-client.js';
export * from './http/request-executor.js';
export { resolveBaseUrl } from './http/base-url.js';
export { backoffDelayMs, parseRetryAfter, isRetryable, type RetryOptions } from './http/retry-policy.js';
// One error hierarchy (code + retryable) for everything the client throws.
export * from './errors.js';
// The fleet-wide rate budget: in-process and PostgreSQL-backed, with priorities.
export * from './budget/rate-budget.js';
export * from './budget/in-process-rate-budget.js';
export * from './budget/postgres-rate-budget.js';
// Pagination as async iterators.
export * from './pagination/paginate.js';
// Webhook signature verification, envelope/event parsing, dedup key, age check.
export * from './webhooks/webhook-signature.js';
export * from './webhooks/webhook-event.js';
