import { LOCAL_DATABASE_URL, LOCAL_KAFKA_BROKERS } from '@rxbridge/testing';
import { DEFAULT_DATABASE_URL, DEFAULT_KAFKA_BROKERS } from '../src/index.js';

// Services default to the local stack, and tests, tools and benchmarks take the same addresses from
// @rxbridge/testing; that package cannot import service-kit (whose tests use it), so this holds the two equal.
describe('the local stack defaults', () => {
  it('are the same for services and for tests', () => {
    expect(DEFAULT_DATABASE_URL).toBe(LOCAL_DATABASE_URL);
    expect(DEFAULT_KAFKA_BROKERS).toBe(LOCAL_KAFKA_BROKERS);
  });
});
