import { type MigrationInterface } from 'typeorm';
import { databaseConfig, logConfig } from '../config/config-sections.js';
import { configSchema, loadConfigOrExit, type Env } from '../config/load-config.js';
import { createLogger } from '../logging/logger.js';
import { createServiceDataSource, migrateServiceSchema } from './service-data-source.js';

type Constructor<T> = new (...args: never[]) => T;

export interface MigrateEntryOptions {
  /** Names the process in logs (`order-service-migrate`). */
  service: string;
  schema: string;
  migrations: Constructor<MigrationInterface>[];
  env?: Env;
}

/**
 * A service's one-shot migration entry (`node dist/migrate.js`, the deploy's migration Job): reads
 * DATABASE_URL and LOG_LEVEL as the service does, applies what is pending under the schema's advisory lock
 * (so a starting pod and the Job never both migrate), logs the names that ran and answers the exit code:
 * 0 done, 1 failed; a bad configuration exits 78 before anything runs.
 */
export async function runMigrateEntry(options: MigrateEntryOptions): Promise<number> {
  const config = loadConfigOrExit(
    configSchema({ database: databaseConfig(), log: logConfig() }),
    options.env,
  );
  const logger = createLogger({ service: `${options.service}-migrate`, level: config.log.level });
  const dataSource = createServiceDataSource({
    url: config.database.url,
    schema: options.schema,
    migrations: options.migrations,
    // two: migrateServiceSchema holds the advisory lock on one connection while migrations run on another
    poolSize: 2,
    applicationName: `rxbridge-${options.service}-migrate`,
  });
  try {
    await dataSource.initialize();
    const ran = await migrateServiceSchema(dataSource);
    logger.info({ schema: options.schema, ran }, ran.length > 0 ? 'migrations applied' : 'schema up to date');
    return 0;
  } catch (err) {
    // a driver message can quote the URL: the class and PostgreSQL's code are enough to act on
    const code = (err as { code?: unknown }).code;
    logger.error(
      { schema: options.schema, err: err instanceof Error ? err.name : 'unknown', code },
      'migrating failed',
    );
    return 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}
