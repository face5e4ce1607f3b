import type { DataSource } from 'typeorm';

export type IdempotencyClaim =
  | { kind: 'execute' }
  /** `contentHash`: the digest of the first request's streamed body, null when it had none. */
  | { kind: 'replay'; status: number; body: unknown; contentHash: string | null }
  | { kind: 'mismatch' }
  | { kind: 'in_progress' };

export interface IdempotencyStoreOptions {
  retentionHours: number;
  /** How long a claim blocks duplicates before it counts as abandoned (its pod died mid-request). */
  leaseMs?: number;
}

export const DEFAULT_IDEMPOTENCY_LEASE_MS = 60_000;

/** Idempotency keys in the service's schema (http_idempotency_key, see httpEdgeMigrations). */
export class IdempotencyStore {
  private readonly leaseMs: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: IdempotencyStoreOptions,
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_IDEMPOTENCY_LEASE_MS;
  }

  /**
   * Claims the key for this request, or says why not. One statement decides between concurrent duplicates:
   * the primary key lets exactly one insert win. A row past its retention is replaced as if absent; an
   * abandoned claim for the same request is taken over.
   */
  async claim(tokenName: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimed = await this.dataSource.query<unknown[]>(
        `INSERT INTO http_idempotency_key (token_name, key, request_hash, locked_until)
         VALUES ($1, $2, $3, clock_timestamp() + $4 * interval '1 millisecond')
         ON CONFLICT (token_name, key) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, locked_until = EXCLUDED.locked_until,
               status = NULL, response = NULL, content_hash = NULL, created_at = clock_timestamp()
           WHERE http_idempotency_key.created_at < clock_timestamp() - $5 * interval '1 hour'
              OR (http_idempotency_key.status IS NULL
                  AND http_idempotency_key.locked_until < clock_timestamp()
                  AND http_idempotency_key.request_hash = EXCLUDED.request_hash)
         RETURNING 1`,
        [tokenName, key, requestHash, this.leaseMs, this.options.retentionHours],
      );
      if (claimed.length > 0) return { kind: 'execute' };
      const [row] = await this.dataSource.query<
        { request_hash: string; status: number | null; response: unknown; content_hash: string | null }[]
      >(
        `SELECT request_hash, status, response, content_hash FROM http_idempotency_key
         WHERE token_name = $1 AND key = $2`,
        [tokenName, key],
      );
      // Purged between the two statements: claim again.
      if (!row) continue;
      if (row.request_hash !== requestHash) return { kind: 'mismatch' };
      if (row.status === null) return { kind: 'in_progress' };
      return { kind: 'replay', status: row.status, body: row.response, contentHash: row.content_hash };
    }
    return { kind: 'in_progress' };
  }

  /** Records the answer a replay will send, with the digest of a streamed body (compared on a replay). */
  async complete(
    tokenName: string,
    key: string,
    status: number,
    body: unknown,
    contentHash?: string,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE http_idempotency_key SET status = $3, response = $4::json, content_hash = $5, locked_until = NULL
       WHERE token_name = $1 AND key = $2`,
      [tokenName, key, status, JSON.stringify(body ?? null), contentHash ?? null],
    );
  }

  /** Gives the key back (the request failed in a way a retry may fix), so a retry runs afresh. */
  async release(tokenName: string, key: string): Promise<void> {
    await this.dataSource.query(
      'DELETE FROM http_idempotency_key WHERE token_name = $1 AND key = $2 AND status IS NULL',
      [tokenName, key],
    );
  }

  /** Deletes keys older than the retention; returns how many. */
  async purge(): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown, number]>(
      `DELETE FROM http_idempotency_key WHERE created_at < clock_timestamp() - $1 * interval '1 hour'`,
      [this.options.retentionHours],
    );
    return count;
  }
}
