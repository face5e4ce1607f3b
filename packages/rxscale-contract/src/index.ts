// The RxScale contract (API.md §4-§11, DESIGN.md §11): zod schemas and their types, one name for both.
export * from './common.js';
export * from './endpoints.js';
export * from './errors.js';
export * from './health.js';
export * from './order-status.js';
export * from './pagination.js';
export * from './payout.js';
export * from './pharmacy-order.js';
export * from './pharmacy-sku.js';
export * from './webhook-event.js';
export * from './webhook-subscription.js';
