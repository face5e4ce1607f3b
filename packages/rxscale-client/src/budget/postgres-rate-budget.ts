import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { QueuedRateBudget, type TakeAttempt } from './queued-rate-budget.js';
import { resolveRateLimits, type RateLimits, type ResolvedRateLimits } from './rate-budget.js';

export interface PostgresRateBudgetOptions extends RateLimits {
  /** A pool to use (left open on close), or a connection string for a pool of 2 that the budget owns. */
  pool?: pg.Pool;
  connectionString?: string;
  /** Schema holding the budget's tables (default `rxscale_budget`); created if missing. */
  schema?: string;
  /** One bucket per RxScale API key: every budget naming the same bucket shares its limits (default `default`). */
  bucket?: string;
  /**
   * How long a waiting budget's registration outlives its planned wake-up (default 2000 ms). A replica that
   * dies while waiting blocks less urgent callers elsewhere at most this long after it should have woken.
   */
  leaseMs?: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The budget all replicas of all services share, kept in PostgreSQL (which every service has):
 * - `token_log` is a sliding log of the calls made: a token is granted only while fewer than `perSecond`
 *   calls were made in the last `secondMs` and fewer than `perMinute` in the last `minuteMs`, by the
 *   database's clock (replicas' clocks may disagree; the database's is one).
 * - `waiters` holds, per waiting budget instance, the most urgent priority it waits for. A call may take a
 *   token only while no other instance waits with a more urgent priority, so order handling is never
 *   starved by stock pushes or reconciliation anywhere in the fleet.
 * - A token is one call of `take_tokens`: one short transaction, serialised per bucket by an advisory lock
 *   (several tokens in one call where the limits keep no least spacing, i.e. about 1,000/s and more).
 *   A caller that gets no token sleeps until the database says one may be free (plus jitter).
 */
export class PostgresRateBudget extends QueuedRateBudget {
  readonly instanceId = randomUUID();
  private readonly limits: ResolvedRateLimits;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    private readonly schema: string,
    private readonly bucket: string,
    limits: ResolvedRateLimits,
    private readonly leaseMs: number,
  ) {
    super(limits.jitterMs);
    this.limits = limits;
  }

  /** Creates the budget's schema, tables and function if missing (safe to run from many replicas at once). */
  static async create(options: PostgresRateBudgetOptions): Promise<PostgresRateBudget> {
    const schema = options.schema ?? 'rxscale_budget';
    if (!IDENTIFIER.test(schema))
      throw new RangeError('Rate budget schema must be a lower-case SQL identifier');
    const bucket = options.bucket ?? 'default';
    if (bucket.length === 0 || bucket.length > 200)
      throw new RangeError('Rate budget bucket must be 1-200 characters');
    const leaseMs = options.leaseMs ?? 2000;
    if (!Number.isInteger(leaseMs) || leaseMs < 100)
      throw new RangeError('Rate budget leaseMs must be an integer >= 100');
    const limits = resolveRateLimits(options);
    if (!options.pool && !options.connectionString) {
      throw new RangeError('Rate budget needs a pg pool or a connection string');
    }
    const ownsPool = !options.pool;
    const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: 2 });
    try {
      await ensureSchema(pool, schema);
    } catch (err) {
      if (ownsPool) await pool.end();
      throw err;
    }
    return new PostgresRateBudget(pool, ownsPool, schema, bucket, limits, leaseMs);
  }

  protected async tryTake(rank: number, nextRank: number | undefined, wanted: number): Promise<TakeAttempt> {
    const { perSecond, perMinute, secondMs, minuteMs, minSpacingMs } = this.limits;
    const result = await this.pool.query<{ granted: boolean; wait_ms: number; granted_count: number }>(
      `SELECT granted, wait_ms, granted_count
         FROM "${this.schema}".take_tokens($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        this.bucket,
        this.instanceId,
        rank,
        nextRank ?? null,
        perSecond,
        perMinute,
        secondMs,
        minuteMs,
        minSpacingMs,
        this.leaseMs,
        wanted,
      ],
    );
    const row = result.rows[0];
    if (!row) throw new Error('take_tokens returned no row');
    return { granted: row.granted, waitMs: Number(row.wait_ms), count: Number(row.granted_count) };
  }

  async pause(ms?: number): Promise<void> {
    const duration = ms ?? this.limits.secondMs / this.limits.perSecond;
    if (!Number.isFinite(duration) || duration <= 0) return;
    await this.pool.query(
      `INSERT INTO "${this.schema}".pauses AS p (bucket, until)
         VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
       ON CONFLICT (bucket) DO UPDATE SET until = greatest(p.until, EXCLUDED.until)`,
      [this.bucket, Math.ceil(duration)],
    );
  }

  protected async becameIdle(): Promise<void> {
    await this.pool.query(`DELETE FROM "${this.schema}".waiters WHERE bucket = $1 AND instance_id = $2`, [
      this.bucket,
      this.instanceId,
    ]);
  }

  protected async release(): Promise<void> {
    try {
      await this.becameIdle();
    } finally {
      if (this.ownsPool) await this.pool.end();
    }
  }
}

export function createPostgresRateBudget(options: PostgresRateBudgetOptions): Promise<PostgresRateBudget> {
  return PostgresRateBudget.create(options);
}

async function ensureSchema(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Replicas starting together would otherwise race on CREATE OR REPLACE FUNCTION ("tuple concurrently updated").
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`rxscale_budget_ddl:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS "${schema}".token_log (
        bucket text NOT NULL,
        taken_at timestamptz NOT NULL,
        rank smallint NOT NULL,
        instance_id text NOT NULL
      )`);
    await client.query(
      `CREATE INDEX IF NOT EXISTS token_log_bucket_taken_at ON "${schema}".token_log (bucket, taken_at)`,
    );
    await client.query(`
      CREATE TABLE IF NOT EXISTS "${schema}".waiters (
        bucket text NOT NULL,
        instance_id text NOT NULL,
        rank smallint NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (bucket, instance_id)
      )`);
    await client.query(`
      CREATE TABLE IF NOT EXISTS "${schema}".pauses (
        bucket text PRIMARY KEY,
        until timestamptz NOT NULL
      )`);
    await client.query(takeTokenFunction(schema));
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

function takeTokenFunction(schema: string): string {
  return `
CREATE OR REPLACE FUNCTION "${schema}".take_tokens(
  p_bucket text, p_instance text, p_rank int, p_next_rank int,
  p_per_second int, p_per_minute int, p_second_ms int, p_minute_ms int, p_spacing_ms int, p_lease_ms int,
  p_wanted int
) RETURNS TABLE (granted boolean, wait_ms int, granted_count int)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_now timestamptz;
  v_ms constant interval := interval '1 millisecond';
  v_blocked boolean;
  v_in_second int;
  v_in_minute int;
  v_last timestamptz;
  v_edge timestamptz;
  v_paused_until timestamptz;
  v_wait double precision := 0;
  v_count int := 1;
BEGIN
  -- Serialise takers of one bucket: the count and the insert below must see each other.
  PERFORM pg_advisory_xact_lock(hashtext('${schema}'), hashtext(p_bucket));
  v_now := clock_timestamp();

  -- RxScale answered 429 to someone sharing this bucket: nobody calls until the pause ends.
  SELECT p.until INTO v_paused_until FROM "${schema}".pauses p WHERE p.bucket = p_bucket AND p.until > v_now;
  IF v_paused_until IS NOT NULL THEN
    v_wait := greatest(ceil(extract(epoch FROM (v_paused_until - v_now)) * 1000), 1);
    INSERT INTO "${schema}".waiters AS w (bucket, instance_id, rank, expires_at)
      VALUES (p_bucket, p_instance, p_rank, v_now + (v_wait + p_lease_ms) * v_ms)
      ON CONFLICT (bucket, instance_id) DO UPDATE SET rank = EXCLUDED.rank, expires_at = EXCLUDED.expires_at;
    RETURN QUERY SELECT false, v_wait::int, 0;
    RETURN;
  END IF;

  SELECT EXISTS (
    SELECT 1 FROM "${schema}".waiters w
    WHERE w.bucket = p_bucket AND w.instance_id <> p_instance AND w.rank < p_rank AND w.expires_at > v_now
  ) INTO v_blocked;

  -- Every second window holds at most p_per_second tokens (checked below before each grant), so a minute
  -- window holds at most p_per_second * ceil(minute / second). When that is within p_per_minute the minute
  -- cannot bind and is not counted: counting it read every token of the last minute on each take (5.4 ms
  -- at 12,000 tokens, serialising the bucket's takers), where the last second is a few rows.
  IF p_per_minute >= p_per_second * ceil(p_minute_ms::numeric / p_second_ms) THEN
    SELECT count(*) FILTER (WHERE t.taken_at > v_now - p_second_ms * v_ms), max(t.taken_at)
      INTO v_in_second, v_last
      FROM "${schema}".token_log t
      WHERE t.bucket = p_bucket AND t.taken_at > v_now - greatest(p_second_ms, p_spacing_ms) * v_ms;
    v_in_minute := 0;
  ELSE
    SELECT count(*) FILTER (WHERE t.taken_at > v_now - p_second_ms * v_ms), count(*), max(t.taken_at)
      INTO v_in_second, v_in_minute, v_last
      FROM "${schema}".token_log t
      WHERE t.bucket = p_bucket AND t.taken_at > v_now - p_minute_ms * v_ms;
  END IF;

  IF NOT v_blocked AND v_in_second < p_per_second AND v_in_minute < p_per_minute
     AND (v_last IS NULL OR v_last <= v_now - p_spacing_ms * v_ms) THEN
    -- Several calls at one instant only where no least spacing is kept (limits of ~1,000/s and more): the
    -- caller's waiters of this rank share the round trip, as many as both windows still hold.
    IF p_spacing_ms <= 0 THEN
      v_count := greatest(1, least(p_wanted, p_per_second - v_in_second, p_per_minute - v_in_minute));
    END IF;
    INSERT INTO "${schema}".token_log (bucket, taken_at, rank, instance_id)
      SELECT p_bucket, v_now, p_rank, p_instance FROM generate_series(1, v_count);
    DELETE FROM "${schema}".token_log t WHERE t.bucket = p_bucket AND t.taken_at <= v_now - p_minute_ms * v_ms;
    IF v_count < p_wanted THEN
      -- Callers of this rank still wait here.
      INSERT INTO "${schema}".waiters AS w (bucket, instance_id, rank, expires_at)
        VALUES (p_bucket, p_instance, p_rank, v_now + p_lease_ms * v_ms)
        ON CONFLICT (bucket, instance_id) DO UPDATE SET rank = EXCLUDED.rank, expires_at = EXCLUDED.expires_at;
    ELSIF p_next_rank IS NULL THEN
      DELETE FROM "${schema}".waiters w WHERE w.bucket = p_bucket AND w.instance_id = p_instance;
    ELSE
      INSERT INTO "${schema}".waiters AS w (bucket, instance_id, rank, expires_at)
        VALUES (p_bucket, p_instance, p_next_rank, v_now + p_lease_ms * v_ms)
        ON CONFLICT (bucket, instance_id) DO UPDATE SET rank = EXCLUDED.rank, expires_at = EXCLUDED.expires_at;
    END IF;
    RETURN QUERY SELECT true, 0, v_count;
    RETURN;
  END IF;

  -- How long until the call that must leave a window has left it, and the last call is far enough behind.
  IF v_last IS NOT NULL AND v_last > v_now - p_spacing_ms * v_ms THEN
    v_wait := extract(epoch FROM (v_last + p_spacing_ms * v_ms - v_now)) * 1000;
  END IF;
  IF v_in_second >= p_per_second THEN
    SELECT t.taken_at INTO v_edge FROM "${schema}".token_log t
      WHERE t.bucket = p_bucket AND t.taken_at > v_now - p_second_ms * v_ms
      ORDER BY t.taken_at DESC OFFSET p_per_second - 1 LIMIT 1;
    v_wait := greatest(v_wait, extract(epoch FROM (v_edge + p_second_ms * v_ms - v_now)) * 1000);
  END IF;
  IF v_in_minute >= p_per_minute THEN
    SELECT t.taken_at INTO v_edge FROM "${schema}".token_log t
      WHERE t.bucket = p_bucket AND t.taken_at > v_now - p_minute_ms * v_ms
      ORDER BY t.taken_at DESC OFFSET p_per_minute - 1 LIMIT 1;
    v_wait := greatest(v_wait, extract(epoch FROM (v_edge + p_minute_ms * v_ms - v_now)) * 1000);
  END IF;
  IF v_blocked THEN
    -- A more urgent waiter elsewhere takes the next token; look again one token-spacing later.
    v_wait := greatest(v_wait, p_second_ms::double precision / p_per_second);
  END IF;
  v_wait := greatest(ceil(v_wait), 1);

  INSERT INTO "${schema}".waiters AS w (bucket, instance_id, rank, expires_at)
    VALUES (p_bucket, p_instance, p_rank, v_now + (v_wait + p_lease_ms) * v_ms)
    ON CONFLICT (bucket, instance_id) DO UPDATE SET rank = EXCLUDED.rank, expires_at = EXCLUDED.expires_at;
  RETURN QUERY SELECT false, v_wait::int, 0;
END
$fn$`;
}
