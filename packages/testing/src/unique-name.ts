import { randomBytes } from 'node:crypto';

/** Eight hex characters: enough that parallel test files on one broker and one database never collide. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

const IDENTIFIER = /^[a-z][a-z0-9_]{0,40}$/;

/** `prefix_<suffix>`, safe as an unquoted PostgreSQL identifier. */
export function uniqueIdentifier(prefix: string): string {
  if (!IDENTIFIER.test(prefix))
    throw new Error(
      `a test schema or database prefix is lower-case [a-z0-9_] (got ${JSON.stringify(prefix)})`,
    );
  return `${prefix}_${uniqueSuffix()}`;
}
