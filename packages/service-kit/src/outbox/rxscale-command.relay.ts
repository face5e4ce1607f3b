import { type DataSource, type EntityManager } from 'typeorm';
import { backoffDelay, classifyFailure, describeFailure, type BackoffPolicy } from '../kafka/failure.js';
import {
  safely,
  defaultPlumbingLogger,
  type PlumbingLogger,
  type PlumbingObserver,
} from '../kafka/plumbing-observer.js';
import { runWithTrace, traceFromHeaders } from '../tracing/trace-context.js';
import { NotificationListener, Wakeup } from './notification-listener.js';
import { RXSCALE_COMMAND_CHANNEL } from './outbox.migration.js';
import { schemaOf } from './outbox.relay.js';
import { type RxscaleCommand, type RxscaleCommandStatus } from './rxscale-command.js';
import type { RxScaleClient } from '@rxbridge/rxscale-client';
import type { RxscaleSources } from '../rxscale/rxscale-sources.js';

/** What RxScale said to a command. Throw (with `retryable: true` for transient faults) for anything else. */
export type CommandOutcome = { outcome: 'done' } | { outcome: 'refused'; reason: string };

/** Where a command goes: the client of the source that holds the command's pharmacy (DESIGN.md §6). */
export interface CommandTarget {
  source: string;
  client: RxScaleClient;
  /** Pass on every call: the command's pharmacy (a group key needs it; a single-pharmacy key's own). */
  pharmacyUid: string;
}

/**
 * Makes one command's RxScale call. `target` is given whenever the relay was given `sources` (the way to
 * run it); an executor of a relay without `sources` finds its client itself.
 */
export type CommandExecutor = (command: RxscaleCommand, target?: CommandTarget) => Promise<CommandOutcome>;

/** A settled command as the owning service sees it: `failed` is a permanent error that was not a refusal. */
export type SettledOutcome = CommandOutcome | { outcome: 'failed'; reason: string };

export interface RxscaleCommandRelayOptions {
  dataSource: DataSource;
  /**
   * The RxScale key of each pharmacy: the relay hands the executor the client of the command's pharmacy, and
   * settles a command whose pharmacy has no source as failed (with the reason) instead of retrying it.
   */
  sources?: RxscaleSources;
  /** Calls RxScale through the client and the fleet-wide rate budget (DESIGN.md §5). */
  execute: CommandExecutor;
  /**
   * Runs in the transaction that records the outcome, so the service can update its own rows and
   * enqueue events atomically with it. If it throws, the whole settlement rolls back and the command
   * is executed again later.
   */
  onOutcome?: (manager: EntityManager, command: RxscaleCommand, outcome: SettledOutcome) => Promise<void>;
  listenUrl?: string;
  /** Relay loops, each claiming and executing its commands on its own connection. Default 2. */
  concurrency?: number;
  /**
   * Commands one loop claims at once, calls RxScale for together and settles in one transaction (default 1).
   * Up to `concurrency × batchSize` calls are in flight; a batch commits when its slowest call is done.
   */
  batchSize?: number;
  pollIntervalMs?: number;
  backoff?: BackoffPolicy;
  /** Retryable failures before a command is given up as failed. Default: never give up. */
  maxAttempts?: number;
  observer?: PlumbingObserver;
  logger?: PlumbingLogger;
}

interface CommandRow {
  id: string;
  kind: string;
  target_uid: string;
  payload: unknown;
  priority: number;
  pharmacy_uid: string | null;
  status: RxscaleCommandStatus;
  attempts: number;
  reason: string | null;
  headers: Record<string, string>;
  created_at: Date;
}

/**
 * Executes queued RxScale commands. Order per target: only the oldest pending command of a target can be
 * claimed. The claimed row stays locked while RxScale is called, so two replicas never send one command
 * at once; among due commands the highest priority goes first.
 */
export class RxscaleCommandRelay {
  private readonly wakeup = new Wakeup();
  private readonly listener: NotificationListener;
  private readonly log: PlumbingLogger;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly backoff: BackoffPolicy;

  constructor(private readonly options: RxscaleCommandRelayOptions) {
    this.log = options.logger ?? defaultPlumbingLogger('rxscale-command-relay');
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 60_000 };
    const url = options.listenUrl ?? (options.dataSource.options as { url?: string }).url;
    if (!url) throw new Error('the command relay needs listenUrl or a data source with a url');
    this.listener = new NotificationListener(
      url,
      RXSCALE_COMMAND_CHANNEL,
      schemaOf(options.dataSource),
      // one idle loop per notification: it claims a batch and passes the word on while batches come back full
      () => this.wakeup.notifyOne(),
      this.log,
    );
  }

  async start(): Promise<void> {
    await this.listener.start();
    this.running = true;
    this.loops = Array.from({ length: this.options.concurrency ?? 2 }, () => this.run());
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeup.notify();
    await Promise.all(this.loops);
    await this.listener.stop();
  }

  private async run(): Promise<void> {
    const limit = this.options.batchSize ?? 1;
    let failures = 0;
    while (this.running) {
      let claimed: DueRun;
      try {
        claimed = await this.executeDue(limit);
        failures = 0;
      } catch (error) {
        failures++;
        this.log.error({ error: describeFailure(error) }, 'command relay step failed');
        await this.wakeup.wait(backoffDelay(failures, this.backoff));
        continue;
      }
      // A full batch (or a settled command with another queued behind it) means more is due: claim again and
      // wake an idle loop to share it. A short batch took all that was due: wait for the next notification
      // instead of a claim that finds nothing (each costs three round trips).
      if (claimed.commands === limit || claimed.followUps) this.wakeup.notifyOne();
      else await this.wakeup.wait(this.options.pollIntervalMs ?? 5_000);
    }
  }

  /** Claims and executes one due command. Returns false when none was due. */
  executeOne(): Promise<boolean> {
    return this.executeBatch(1);
  }

  /**
   * Claims up to `limit` due commands (each the oldest pending of its target, so never two of one target),
   * makes their RxScale calls at once and settles them in the claim's transaction: one claim, one settlement
   * statement and one commit for all of them (on the order path each saved round trip to PostgreSQL is worth a
   * few percent of the throughput). Each `onOutcome` runs under a savepoint: one that throws is rolled back
   * alone, its command put back as it was claimed (executed again later, as when a single settlement rolls
   * back), and the others commit; the error is then thrown. Returns false when none was due.
   */
  async executeBatch(limit: number): Promise<boolean> {
    return (await this.executeDue(limit)).commands > 0;
  }

  private async executeDue(limit: number): Promise<DueRun> {
    const runner = this.options.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const rows = (await runner.query(
        `SELECT id, kind, target_uid, payload, priority, pharmacy_uid, status, attempts, reason, headers, created_at
         FROM rxscale_command c
         WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()
           AND NOT EXISTS (SELECT 1 FROM rxscale_command p WHERE p.status = 'pending' AND p.target_uid = c.target_uid AND p.id < c.id)
         ORDER BY priority DESC, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      )) as CommandRow[];
      if (rows.length === 0) {
        await runner.commitTransaction();
        return { commands: 0, followUps: false };
      }
      const calls = await Promise.all(rows.map((row) => this.call(row)));
      const retries = calls.filter((c): c is CallResult & { retry: RetryPlan } => c.retry !== undefined);
      for (const { row, retry } of retries)
        await runner.query(
          `UPDATE rxscale_command SET attempts = $2, last_error = $3,
             next_attempt_at = clock_timestamp() + $4 * interval '1 millisecond' WHERE id = $1`,
          [row.id, retry.attempt, retry.description, retry.delayMs],
        );
      const settled = calls.filter(
        (c): c is CallResult & { settled: SettledOutcome } => c.settled !== undefined,
      );
      // settled in one statement, which also says whether any of their targets has a command queued behind
      let followUps = false;
      if (settled.length > 0) {
        const [answer] = (await runner.query(
          `WITH settled AS (
             UPDATE rxscale_command c SET status = s.status, reason = s.reason, attempts = c.attempts + 1,
               completed_at = clock_timestamp()
             FROM unnest($1::bigint[], $2::text[], $3::text[]) AS s(id, status, reason) WHERE c.id = s.id
             RETURNING EXISTS (SELECT 1 FROM rxscale_command p
                               WHERE p.target_uid = c.target_uid AND p.status = 'pending' AND p.id > c.id) AS queued)
           SELECT coalesce(bool_or(queued), false) AS follow_ups FROM settled`,
          [
            settled.map((c) => c.row.id),
            settled.map((c) => c.settled.outcome),
            settled.map((c) => (c.settled.outcome === 'done' ? null : c.settled.reason)),
          ],
        )) as { follow_ups: boolean }[];
        followUps = answer?.follow_ups === true;
      }
      const failures = await this.runOutcomes(runner.manager, settled, rows.length > 1);
      await runner.commitTransaction();
      for (const call of retries) this.reportRetry(call);
      const failed = new Set(failures.map((f) => f.call));
      for (const call of settled) if (!failed.has(call)) this.reportSettled(call);
      if (failures.length > 0) throw failures[0]!.error;
      return { commands: rows.length, followUps };
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Makes one claimed command's RxScale call: settled, or a retry planned for a transient failure. */
  private async call(row: CommandRow): Promise<CallResult> {
    const command = toCommand(row);
    // the enqueueing scope's trace: the executor's log lines and RxScale call continue it, and so do ours
    const scope = traceFromHeaders(command.headers);
    const started = performance.now();
    try {
      const routed = this.route(command);
      const settled: SettledOutcome =
        'failed' in routed
          ? { outcome: 'failed', reason: routed.failed }
          : await runWithTrace(scope, () => routed.run());
      return { row, command, scope, started, settled };
    } catch (error) {
      const description = describeFailure(error);
      const attempt = row.attempts + 1;
      if (classifyFailure(error) === 'transient' && attempt < (this.options.maxAttempts ?? Infinity)) {
        const delayMs = backoffDelay(attempt, this.backoff);
        return { row, command, scope, started, retry: { attempt, description, delayMs } };
      }
      return { row, command, scope, started, settled: { outcome: 'failed', reason: description } };
    }
  }

  /**
   * The service's `onOutcome` of each settled command, in the settling transaction. Alone, a throw rolls the
   * whole settlement back (the caller's catch); in a batch, each runs under a savepoint so that one failure
   * undoes only its own command, which is put back as claimed.
   */
  private async runOutcomes(
    manager: EntityManager,
    settled: readonly (CallResult & { settled: SettledOutcome })[],
    isolated: boolean,
  ): Promise<{ call: CallResult; error: unknown }[]> {
    const onOutcome = this.options.onOutcome;
    if (!onOutcome) return [];
    const outcomeOf = (call: CallResult & { settled: SettledOutcome }): Promise<void> => {
      const status: RxscaleCommandStatus = call.settled.outcome;
      const reason = call.settled.outcome === 'done' ? null : call.settled.reason;
      return onOutcome(
        manager,
        { ...call.command, status, reason, attempts: call.command.attempts + 1 },
        call.settled,
      );
    };
    if (!isolated) {
      for (const call of settled) await outcomeOf(call);
      return [];
    }
    const failures: { call: CallResult; error: unknown }[] = [];
    await manager.query('SAVEPOINT relay_outcome');
    for (const call of settled) {
      try {
        await outcomeOf(call);
        await manager.query('RELEASE SAVEPOINT relay_outcome; SAVEPOINT relay_outcome');
      } catch (error) {
        await manager.query('ROLLBACK TO SAVEPOINT relay_outcome');
        await manager.query(
          `UPDATE rxscale_command SET status = 'pending', reason = $2, attempts = $3, completed_at = NULL
           WHERE id = $1`,
          [call.row.id, call.row.reason, call.row.attempts],
        );
        failures.push({ call, error });
      }
    }
    return failures;
  }

  private reportRetry(call: CallResult & { retry: RetryPlan }): void {
    const { row, retry } = call;
    safely(() =>
      this.options.observer?.commandExecuted?.({
        kind: row.kind,
        outcome: 'retry',
        durationMs: performance.now() - call.started,
      }),
    );
    runWithTrace(call.scope, () =>
      this.log.warn(
        { commandId: row.id, kind: row.kind, attempt: retry.attempt, error: retry.description },
        'RxScale command failed, will retry',
      ),
    );
  }

  private reportSettled(call: CallResult & { settled: SettledOutcome }): void {
    const { row } = call;
    const status: RxscaleCommandStatus = call.settled.outcome;
    safely(() =>
      this.options.observer?.commandExecuted?.({
        kind: row.kind,
        outcome: status,
        durationMs: performance.now() - call.started,
      }),
    );
    if (status !== 'done') {
      const reason = call.settled.outcome === 'done' ? null : call.settled.reason;
      runWithTrace(call.scope, () =>
        this.log.warn({ commandId: row.id, kind: row.kind, status, reason }, 'RxScale command not applied'),
      );
    }
  }

  /**
   * The call to make, or why there is none: with `sources`, a command whose pharmacy belongs to no source
   * can never be sent, so it is settled as failed with that reason rather than retried.
   */
  private route(command: RxscaleCommand): { run: () => Promise<CommandOutcome> } | { failed: string } {
    const options = this.options;
    if (options.sources === undefined) return { run: () => options.execute(command) };
    const pharmacyUid = command.pharmacyUid;
    if (pharmacyUid === null)
      return { failed: 'the command names no pharmacy, so no RxScale source (API key) can be chosen' };
    const source = options.sources.sourceOf(pharmacyUid);
    if (!source)
      return {
        failed: `no RxScale source (API key) for pharmacy "${pharmacyUid}": add it to RXSCALE_SOURCES`,
      };
    return {
      run: () => options.execute(command, { source: source.name, client: source.client, pharmacyUid }),
    };
  }
}

/** What one claim did: how many commands it took, and whether a settled one has another queued behind it. */
interface DueRun {
  commands: number;
  followUps: boolean;
}

interface RetryPlan {
  attempt: number;
  description: string;
  delayMs: number;
}

/** One claimed command after its call: `settled`, or `retry` for a transient failure. */
interface CallResult {
  row: CommandRow;
  command: RxscaleCommand;
  scope: ReturnType<typeof traceFromHeaders>;
  started: number;
  settled?: SettledOutcome;
  retry?: RetryPlan;
}

function toCommand(row: CommandRow): RxscaleCommand {
  return {
    id: row.id,
    kind: row.kind,
    targetUid: row.target_uid,
    payload: row.payload,
    priority: row.priority,
    pharmacyUid: row.pharmacy_uid,
    status: row.status,
    attempts: row.attempts,
    reason: row.reason,
    headers: row.headers,
    createdAt: row.created_at,
  };
}
