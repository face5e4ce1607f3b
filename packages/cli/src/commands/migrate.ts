import type { httpEdgeMigrations } from '@rxbridge/service-kit/database';
import { type Command } from 'commander';
import { CliError, describe, ExitCode, isConnectionFailure, usageError } from '../cli-error.js';
import { databaseSection, load } from '../config.js';
import { maskedUrl } from '../deps.js';
import { printJson, printLine } from '../output.js';

type Migration = (typeof httpEdgeMigrations)[number];

/**
 * Each service's schema and migrations: the list its package exports (the kit's plumbing tables and its own)
 * plus the kit's HTTP edge table (idempotency keys), as the services run them at start. A migration listed
 * twice (a service that already adds the edge's) runs once.
 */
// Imported when `migrate` runs: loading the three services costs every other command a second.
export const SERVICE_SCHEMAS: Record<
  string,
  { schema: string; migrations: () => Promise<readonly Migration[]> }
> = {
  'order-service': {
    schema: 'orders',
    migrations: async () => (await import('@rxbridge/order-service')).orderServiceMigrations,
  },
  'inventory-service': {
    schema: 'inventory',
    migrations: async () => (await import('@rxbridge/inventory-service')).inventoryServiceMigrations,
  },
  'shipping-service': {
    schema: 'shipping',
    migrations: async () => (await import('@rxbridge/shipping-service')).shippingServiceMigrations,
  },
};

function withEdge(migrations: readonly Migration[], edge: readonly Migration[]): Migration[] {
  const seen = new Set<string>();
  return [...migrations, ...edge].filter((m) => {
    if (seen.has(m.name)) return false;
    seen.add(m.name);
    return true;
  });
}

export function migrateCommand(program: Command): void {
  program
    .command('migrate')
    .description(
      "apply each service's pending migrations to its schema (orders, inventory, shipping) in DATABASE_URL; safe " +
        'while services start (an advisory lock per schema serialises the runs)',
    )
    .option('--service <name>', `only this service: ${Object.keys(SERVICE_SCHEMAS).join(', ')}`)
    .option('--json', 'print {service: {schema, applied: [...]}} as JSON')
    .action(async (opts: { service?: string; json?: boolean }) => {
      if (opts.service !== undefined && !SERVICE_SCHEMAS[opts.service])
        throw usageError(
          `--service "${opts.service}" is not a service`,
          `use one of: ${Object.keys(SERVICE_SCHEMAS).join(', ')}`,
        );
      const { database } = load({ database: databaseSection() });
      // TypeORM is loaded only now: every other command (and `--help`) starts without it
      const { createServiceDataSource, httpEdgeMigrations, migrateServiceSchema } =
        await import('@rxbridge/service-kit/database');
      const names = opts.service ? [opts.service] : Object.keys(SERVICE_SCHEMAS);
      const report: Record<string, { schema: string; applied: string[] }> = {};
      for (const name of names) {
        const { schema, migrations } = SERVICE_SCHEMAS[name]!;
        const dataSource = createServiceDataSource({
          url: database.url,
          schema,
          migrations: withEdge(await migrations(), httpEdgeMigrations),
          applicationName: 'rxbridge-cli',
          poolSize: 2,
        });
        try {
          await dataSource.initialize();
        } catch (error) {
          if (isConnectionFailure(error))
            throw new CliError(
              `PostgreSQL at ${maskedUrl(database.url)} is unreachable: ${describe(error)}`,
              ExitCode.unreachable,
              'start PostgreSQL or set DATABASE_URL to a reachable database',
            );
          throw error;
        }
        try {
          report[name] = { schema, applied: await migrateServiceSchema(dataSource) };
        } catch (error) {
          throw new CliError(
            `migrating ${name} (schema ${schema}) failed: ${describe(error)}`,
            ExitCode.failed,
          );
        } finally {
          await dataSource.destroy();
        }
        if (!opts.json) {
          const applied = report[name].applied;
          printLine(
            `${name} (${schema}): ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`,
          );
        }
      }
      if (opts.json) printJson(report);
    });
}
