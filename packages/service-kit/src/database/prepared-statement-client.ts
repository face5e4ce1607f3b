import pg from 'pg';

/** Statement texts given a name, per process; texts beyond these run unnamed, as before. */
const MAX_NAMED_STATEMENTS = 1_000;
const names = new Map<string, string>();

function nameOf(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED_STATEMENTS) {
    name = `rxbridge_${names.size}`;
    names.set(text, name);
  }
  return name;
}

/**
 * The pg client of a service's pool: a query with parameters runs as a named prepared statement, so
 * PostgreSQL parses and plans its text once per connection instead of on every call (TypeORM sends every
 * query unnamed). Each distinct text has one name in the process, so a connection never sees one name with
 * two texts. Texts without parameters (transaction control, multi-statement strings) run as they are.
 */
export class PreparedStatementClient extends pg.Client {}

// eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the client as `this`
const unnamedQuery = pg.Client.prototype.query;
PreparedStatementClient.prototype.query = function query(
  this: pg.Client,
  config: unknown,
  values?: unknown,
  callback?: unknown,
): unknown {
  if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
    const name = nameOf(config);
    if (name !== undefined)
      return (unnamedQuery as (...args: unknown[]) => unknown).call(
        this,
        { name, text: config, values },
        callback,
      );
  }
  return (unnamedQuery as (...args: unknown[]) => unknown).call(this, config, values, callback);
} as typeof unnamedQuery;
