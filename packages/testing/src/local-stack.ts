// The one place tests, tools and benchmarks take the local stack's addresses from. Services read theirs
// through service-kit's validated config, whose defaults are the same two values (a service-kit test holds
// them equal; this package cannot import service-kit, whose own tests use it).

/** The local stack's PostgreSQL (README, Configuration). */
export const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/rxbridge';
/** The local stack's Kafka broker. */
export const LOCAL_KAFKA_BROKERS = '127.0.0.1:9092';

/** The server and database tests use: DATABASE_URL, else the local stack's. */
export const databaseUrl: string = process.env.DATABASE_URL || LOCAL_DATABASE_URL;

/** The brokers tests use: KAFKA_BROKERS (comma-separated), else the local stack's. */
export const brokers: string[] = (process.env.KAFKA_BROKERS || LOCAL_KAFKA_BROKERS)
  .split(',')
  .map((b) => b.trim())
  .filter((b) => b !== '');
