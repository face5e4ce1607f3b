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
  /** Commands executed at once (each on its own target). Default 2. */
  concurrency?: number;
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
      () => this.wakeup.notify(),
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
    let failures = 0;
    while (this.running) {
      let worked: boolean;
      try {
        worked = await this.executeOne();
        failures = 0;
      } catch (error) {
        failures++;
        this.log.error({ error: describeFailure(error) }, 'command relay step failed');
        await this.wakeup.wait(backoffDelay(failures, this.backoff));
        continue;
      }
      if (worked) this.wakeup.notifyOne();
      else await this.wakeup.wait(this.options.pollIntervalMs ?? 5_000);
    }
  }

  /** Claims and executes one due command. Returns false when none was due. */
  async executeOne(): Promise<boolean> {
    const runner = this.options.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const rows = (await runner.query(
        `SELECT id, kind, target_uid, payload, priority, pharmacy_uid, status, attempts, reason, headers, created_at
         FROM rxscale_command c
         WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()
           AND NOT EXISTS (SELECT 1 FROM rxscale_command p WHERE p.status = 'pending' AND p.target_uid = c.target_uid AND p.id < c.id)
         ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED`,
      )) as CommandRow[];
      const row = rows[0];
      if (!row) {
        await runner.commitTransaction();
        return false;
      }
      const command = toCommand(row);
      // the enqueueing scope's trace: the executor's log lines and RxScale call continue it, and so do ours
      const scope = traceFromHeaders(command.headers);
      const started = performance.now();
      let settled: SettledOutcome | undefined;
      try {
        const routed = this.route(command);
        settled =
          'failed' in routed
            ? { outcome: 'failed', reason: routed.failed }
            : await runWithTrace(scope, () => routed.run());
      } catch (error) {
        const description = describeFailure(error);
        const attempt = row.attempts + 1;
        if (classifyFailure(error) === 'transient' && attempt < (this.options.maxAttempts ?? Infinity)) {
          await runner.query(
            `UPDATE rxscale_command SET attempts = $2, last_error = $3,
               next_attempt_at = clock_timestamp() + $4 * interval '1 millisecond' WHERE id = $1`,
            [row.id, attempt, description, backoffDelay(attempt, this.backoff)],
          );
          await runner.commitTransaction();
          safely(() =>
            this.options.observer?.commandExecuted?.({
              kind: row.kind,
              outcome: 'retry',
              durationMs: performance.now() - started,
            }),
          );
          runWithTrace(scope, () =>
            this.log.warn(
              { commandId: row.id, kind: row.kind, attempt, error: description },
              'RxScale command failed, will retry',
            ),
          );
          return true;
        }
        settled = { outcome: 'failed', reason: description };
      }
      const status: RxscaleCommandStatus = settled.outcome;
      const reason = settled.outcome === 'done' ? null : settled.reason;
      await runner.query(
        `UPDATE rxscale_command SET status = $2, reason = $3, attempts = attempts + 1, completed_at = clock_timestamp() WHERE id = $1`,
        [row.id, status, reason],
      );
      await this.options.onOutcome?.(
        runner.manager,
        { ...command, status, reason, attempts: command.attempts + 1 },
        settled,
      );
      await runner.commitTransaction();
      safely(() =>
        this.options.observer?.commandExecuted?.({
          kind: row.kind,
          outcome: status,
          durationMs: performance.now() - started,
        }),
      );
      if (status !== 'done')
        runWithTrace(scope, () =>
          this.log.warn({ commandId: row.id, kind: row.kind, status, reason }, 'RxScale command not applied'),
        );
      return true;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
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
