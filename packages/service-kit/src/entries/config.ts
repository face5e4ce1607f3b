// @rxbridge/service-kit/config: config parsing and env helpers alone (zod, nothing of Nest, Kafka or
// PostgreSQL), for tools such as the CLI that must start fast. The services keep using the main entry.
export * from '../config/index.js';
