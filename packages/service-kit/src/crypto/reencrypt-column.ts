import { type DataSource } from 'typeorm';
import { FIELD_ENVELOPE_VERSION, type FieldCipher } from './field-cipher.js';

export interface ReencryptColumnOptions {
  dataSource: DataSource;
  cipher: FieldCipher;
  /** Table in the data source's schema (unqualified, lower-case identifier). */
  table: string;
  /** The encrypted `text` column. */
  column: string;
  /** The row's key, unique and ordered, to walk the table (default `id`). */
  idColumn?: string;
  /** The associated data the values were written with, per row (e.g. `(id) => fieldAad('orders', 'patient', id)`). */
  aad?: (rowId: string) => string;
  /** Rows per transaction (default 500). */
  batchSize?: number;
  /** Checked between batches: an aborted job stops after the batch in flight, and a later run resumes. */
  signal?: AbortSignal;
  /** Called after each committed batch (progress, or a test's crash point). */
  onBatch?: (progress: ReencryptProgress) => void | Promise<void>;
}

export interface ReencryptProgress {
  /** Rows moved to the active key so far in this run. */
  reencrypted: number;
  batches: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Moves every value of one column to the cipher's active key, a batch per transaction, so old keys can be
 * retired (DESIGN.md §7). Each batch locks its rows (`FOR UPDATE SKIP LOCKED`, so two jobs or a writer do
 * not collide), decrypts with the key each value names and writes it back under the active key. A row is
 * picked only while its value is not under the active key, so the job is idempotent, and a job stopped or
 * crashed halfway resumes where it was when run again: committed batches stay done. A value that does not
 * decrypt stops the job with FieldCipherError (nothing of that batch is written) rather than being skipped,
 * since skipping would leave it under a key about to be removed.
 */
export async function reencryptColumn(options: ReencryptColumnOptions): Promise<ReencryptProgress> {
  const idColumn = options.idColumn ?? 'id';
  for (const [what, name] of [
    ['table', options.table],
    ['column', options.column],
    ['idColumn', idColumn],
  ] as const)
    if (!IDENTIFIER.test(name))
      throw new RangeError(`reencryptColumn: ${what} must be a lower-case SQL identifier`);
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError('reencryptColumn: batchSize must be a positive integer');
  const activePrefix = `${FIELD_ENVELOPE_VERSION}.${options.cipher.activeKeyId}.`;
  const table = `"${options.table}"`;
  const column = `"${options.column}"`;
  const id = `"${idColumn}"`;
  const idType = await columnType(options.dataSource, options.table, idColumn);
  if ((await columnType(options.dataSource, options.table, options.column)) !== 'text')
    throw new RangeError(`reencryptColumn: ${options.table}.${options.column} is not a text column`);
  const progress: ReencryptProgress = { reencrypted: 0, batches: 0 };
  // Rows after the last one seen: a row a concurrent job holds (skipped) is left to that job.
  let after: string | null = null;
  while (!options.signal?.aborted) {
    const moved = await options.dataSource.transaction(async (manager) => {
      // The cursor is compared in the id column's own type (its index), the parameter cast by PostgreSQL.
      const rows = await manager.query<{ row_id: string; value: string }[]>(
        `SELECT t.${id}::text AS row_id, t.${column} AS value FROM ${table} t
         WHERE t.${column} IS NOT NULL AND left(t.${column}, $1) <> $2 ${after === null ? '' : `AND t.${id} > $4`}
         ORDER BY t.${id} LIMIT $3 FOR UPDATE OF t SKIP LOCKED`,
        after === null
          ? [activePrefix.length, activePrefix, batchSize]
          : [activePrefix.length, activePrefix, batchSize, after],
      );
      if (rows.length === 0) return 0;
      const ids: string[] = [];
      const values: string[] = [];
      for (const row of rows) {
        const aad = options.aad?.(row.row_id);
        ids.push(row.row_id);
        values.push(options.cipher.encrypt(options.cipher.decrypt(row.value, aad), aad));
      }
      await manager.query(
        `UPDATE ${table} AS t SET ${column} = v.value FROM unnest($1::text[], $2::text[]) AS v(id, value)
         WHERE t.${id} = v.id::${idType}`,
        [ids, values],
      );
      after = ids[ids.length - 1]!;
      return rows.length;
    });
    if (moved === 0) break;
    progress.reencrypted += moved;
    progress.batches += 1;
    await options.onBatch?.({ ...progress });
  }
  return progress;
}

/** The column's SQL type as PostgreSQL spells it (so ids are cast to it, and the index on them is used). */
async function columnType(dataSource: DataSource, table: string, column: string): Promise<string> {
  const rows = await dataSource.query<{ type: string }[]>(
    `SELECT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
     WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND NOT a.attisdropped`,
    [`"${table}"`, column],
  );
  const type = rows[0]?.type;
  if (!type)
    throw new RangeError(`reencryptColumn: no column ${table}.${column} in the data source's schema`);
  return type;
}
