import { type ServiceLogger } from '../logging/logger.js';

export interface IntervalJobOptions {
  /** Names the job in logs and in `lastRun` (e.g. `sku-sync`, `order-safety-net`). */
  name: string;
  /** Time between the end of one run and the start of the next; runs never overlap. */
  intervalMs: number;
  /** Delay before the first run: 0 runs it at start (a safety net that should catch up at once). */
  firstRunAfterMs?: number;
  /** One run. Its result (a small summary object, counts only: never patient data) is logged. */
  run: () => Promise<Record<string, unknown> | void>;
  logger: Pick<ServiceLogger, 'info' | 'warn'>;
}

export interface IntervalJobRun {
  startedAt: Date;
  durationMs: number;
  ok: boolean;
  summary?: Record<string, unknown>;
  error?: string;
}

/**
 * A schedule for a service's periodic work (SKU sync, reconciliation, safety net, retention): one run at a
 * time, the next one `intervalMs` after the previous ended, a failed run logged (by error class, never its
 * message: messages can quote a value) and retried at the next tick. `runNow()` lets an operator's request
 * start one out of turn (it waits for a run in progress instead of starting a second). `stop()` cancels
 * the timer and waits for the run in progress, so a draining pod does not cut a transaction short.
 * The timer is unref'd: a schedule never keeps a process alive.
 */
export class IntervalJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<IntervalJobRun> | undefined;
  private stopped = true;
  private last: IntervalJobRun | undefined;

  constructor(private readonly options: IntervalJobOptions) {
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) {
      throw new RangeError(`job ${options.name}: intervalMs must be a positive number`);
    }
  }

  get lastRun(): IntervalJobRun | undefined {
    return this.last;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.options.firstRunAfterMs ?? this.options.intervalMs);
  }

  /** Runs the job now (or joins the run in progress) and answers its outcome. */
  runNow(): Promise<IntervalJobRun> {
    if (this.running) return this.running;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const run = this.execute().finally(() => {
      this.running = undefined;
      if (!this.stopped) this.schedule(this.options.intervalMs);
    });
    this.running = run;
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) await this.running;
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runNow();
    }, ms);
    this.timer.unref();
  }

  private async execute(): Promise<IntervalJobRun> {
    const startedAt = new Date();
    const began = performance.now();
    let outcome: IntervalJobRun;
    try {
      const summary = (await this.options.run()) ?? undefined;
      outcome = { startedAt, durationMs: Math.round(performance.now() - began), ok: true, summary };
      this.options.logger.info(
        { job: this.options.name, durationMs: outcome.durationMs, ...summary },
        'job ran',
      );
    } catch (err) {
      const error = err instanceof Error ? err.name : 'unknown';
      outcome = { startedAt, durationMs: Math.round(performance.now() - began), ok: false, error };
      this.options.logger.warn(
        // the class only (a message can quote a value), and not under `err`: pino's serializer wants an Error there
        { job: this.options.name, durationMs: outcome.durationMs, error_class: error },
        'job failed; it runs again at the next interval',
      );
    }
    this.last = outcome;
    return outcome;
  }
}
