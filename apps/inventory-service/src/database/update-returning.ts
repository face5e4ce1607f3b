import { type EntityManager } from 'typeorm';

/**
 * Runs an UPDATE or DELETE … RETURNING. TypeORM's postgres driver answers those with
 * `[rows, affectedCount]` instead of the rows (it does so by the statement's top-level command).
 */
export async function updateReturning<T>(
  manager: EntityManager,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  const result = await manager.query<[T[], number]>(sql, params);
  return result[0];
}
