import { type DataSource } from 'typeorm';

export interface OutboxBacklog {
  /** rows not yet published */
  pending: number;
  /** age of the oldest unpublished row, 0 when none */
  oldestAgeMs: number;
  /** RxScale commands still pending */
  pendingCommands: number;
  /** age of the oldest pending RxScale command, 0 when none */
  oldestCommandAgeMs: number;
  /** records parked for a later retry */
  parked: number;
}

/** The figures behind the outbox backlog metrics (DESIGN.md: outbox backlog and oldest age). */
export async function readOutboxBacklog(dataSource: DataSource): Promise<OutboxBacklog> {
  const rows = await dataSource.query<
    {
      pending: number;
      oldest_age_ms: number;
      pending_commands: number;
      oldest_command_age_ms: number;
      parked: number;
    }[]
  >(`
    SELECT (SELECT count(*)::int FROM outbox WHERE published_at IS NULL) AS pending,
           coalesce((SELECT (extract(epoch FROM clock_timestamp() - min(created_at)) * 1000)::float8
                     FROM outbox WHERE published_at IS NULL), 0) AS oldest_age_ms,
           (SELECT count(*)::int FROM rxscale_command WHERE status = 'pending') AS pending_commands,
           coalesce((SELECT (extract(epoch FROM clock_timestamp() - min(created_at)) * 1000)::float8
                     FROM rxscale_command WHERE status = 'pending'), 0) AS oldest_command_age_ms,
           (SELECT count(*)::int FROM parked) AS parked`);
  const r = rows[0]!;
  return {
    pending: r.pending,
    oldestAgeMs: Math.round(r.oldest_age_ms),
    pendingCommands: r.pending_commands,
    oldestCommandAgeMs: Math.round(r.oldest_command_age_ms),
    parked: r.parked,
  };
}

export interface RetentionOptions {
  /** Published outbox rows and settled commands older than this are deleted. */
  settledOlderThanMs: number;
  /**
   * Inbox rows older than this are deleted. Must exceed how long a duplicate can still arrive: the
   * topics' retention (14 days in the catalog) and RxScale's webhook retry window.
   */
  inboxOlderThanMs: number;
}

/** Deletes what no longer protects anything. Returns how many rows of each table went. */
export async function purgePlumbingTables(
  dataSource: DataSource,
  options: RetentionOptions,
): Promise<{ outbox: number; commands: number; inbox: number }> {
  const minimumInboxMs = 15 * 24 * 60 * 60 * 1000;
  if (options.inboxOlderThanMs < minimumInboxMs) {
    throw new Error(
      `inboxOlderThanMs must be at least ${minimumInboxMs} (longer than topic retention), or duplicates would pass`,
    );
  }
  if (options.settledOlderThanMs < 0) throw new Error('settledOlderThanMs must not be negative');
  const interval = "clock_timestamp() - $1 * interval '1 millisecond'";
  const [, outbox] = await dataSource.query<[unknown, number]>(
    `DELETE FROM outbox WHERE published_at < ${interval}`,
    [options.settledOlderThanMs],
  );
  const [, commands] = await dataSource.query<[unknown, number]>(
    `DELETE FROM rxscale_command WHERE status <> 'pending' AND completed_at < ${interval}`,
    [options.settledOlderThanMs],
  );
  const [, inbox] = await dataSource.query<[unknown, number]>(
    `DELETE FROM inbox WHERE handled_at < ${interval}`,
    [options.inboxOlderThanMs],
  );
  return { outbox, commands, inbox };
}
