import { DataSource, type EntitySchema, type MigrationInterface } from 'typeorm';
import { PreparedStatementClient } from './prepared-statement-client.js';

type Constructor<T> = new (...args: never[]) => T;

export interface ServiceDatabaseOptions {
  /** postgres://… of the shared database; each service lives in its own schema inside it. */
  url: string;
  /** The schema the service owns ("orders", "inventory", "shipping"). */
  schema: string;
  migrations: Constructor<MigrationInterface>[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own entity type
  entities?: (Function | EntitySchema)[];
  poolSize?: number;
  applicationName?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A TypeORM data source confined to one service's schema: its tables, its own migrations table, and a
 * search_path that makes unqualified SQL in migrations land in that schema. Schema changes come from
 * migrations only; `synchronize` is never used.
 */
export function createServiceDataSource(options: ServiceDatabaseOptions): DataSource {
  if (!SCHEMA_NAME.test(options.schema)) {
    throw new Error(`invalid schema name "${options.schema}": use lowercase letters, digits and _`);
  }
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    migrationsTableName: 'migrations',
    migrations: options.migrations,
    entities: options.entities ?? [],
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: options.applicationName ?? `rxbridge-${options.schema}`,
    extra: {
      // parameterised queries as named prepared statements: parsed and planned once per connection
      Client: PreparedStatementClient,
      max: options.poolSize ?? 10,
      options: `-c search_path=${options.schema}`,
    },
  });
}

/**
 * Creates the service's schema if missing and applies its pending migrations, each in its own transaction.
 * Safe to run from several replicas starting at once: a session advisory lock keyed by the schema
 * serialises their runs, so a migration is applied once.
 * Returns the names of the migrations that ran.
 */
export async function migrateServiceSchema(dataSource: DataSource): Promise<string[]> {
  const schema = (dataSource.options as { schema?: string }).schema;
  if (!schema) throw new Error('the data source names no schema');
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`rxbridge-migrate:${schema}`]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const ran = await dataSource.runMigrations({ transaction: 'each' });
    return ran.map((m) => m.name);
  } finally {
    await runner
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`rxbridge-migrate:${schema}`])
      .catch(() => undefined);
    await runner.release();
  }
}
