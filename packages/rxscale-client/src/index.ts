// The RxScale contract (zod schemas and their types): requests, responses, webhook events.
export * from './contract/index.js';
