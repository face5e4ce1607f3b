import { waitFor } from '@rxbridge/testing';
import { IntervalJob } from './interval-job.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recordingLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    info: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'info', obj, msg }),
    warn: (obj: Record<string, unknown>, msg: string) => void lines.push({ level: 'warn', obj, msg }),
  };
}

describe('IntervalJob', () => {
  it('runs at start when asked, then again after each interval, never two at once', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const logger = recordingLogger();
    const job = new IntervalJob({
      name: 'test',
      intervalMs: 20,
      firstRunAfterMs: 0,
      logger: logger as never,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        runs++;
        await sleep(15);
        active--;
        return { found: runs };
      },
    });
    job.start();
    const extra = job.runNow(); // joins or starts: still one at a time
    // waited for, not slept: a loaded machine may run the ticks late
    await waitFor(() => runs >= 3, 'three runs', { timeoutMs: 10_000, intervalMs: 5 });
    await job.stop();
    await extra;
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(maxActive).toBe(1);
    expect(job.lastRun).toMatchObject({ ok: true, summary: { found: runs } });
    expect(logger.lines.filter((l) => l.msg === 'job ran')).toHaveLength(runs);
    const after = runs;
    await sleep(60);
    expect(runs).toBe(after); // stopped means stopped
  });

  it('logs a failure by error class only, and runs again at the next tick', async () => {
    const logger = recordingLogger();
    let calls = 0;
    const job = new IntervalJob({
      name: 'flaky',
      intervalMs: 10,
      firstRunAfterMs: 0,
      logger: logger as never,
      run: async () => {
        calls++;
        await sleep(1);
        if (calls === 1) throw new TypeError('patient Jana Vogelsang');
      },
    });
    job.start();
    await waitFor(() => calls >= 2, 'a run after the failed one', { timeoutMs: 10_000, intervalMs: 5 });
    await job.stop();
    const failed = logger.lines.find((l) => l.level === 'warn')!;
    expect(failed.obj).toEqual({ job: 'flaky', durationMs: expect.any(Number), error_class: 'TypeError' });
    expect(JSON.stringify(logger.lines)).not.toContain('Vogelsang');
  });

  it('stop waits for the run in progress', async () => {
    let started = false;
    let finished = false;
    const job = new IntervalJob({
      name: 'slow',
      intervalMs: 1000,
      firstRunAfterMs: 0,
      logger: recordingLogger() as never,
      run: async () => {
        started = true;
        await sleep(50);
        finished = true;
      },
    });
    job.start();
    await waitFor(() => started, 'the run to start', { timeoutMs: 10_000, intervalMs: 1 });
    await job.stop();
    expect(finished).toBe(true);
  });

  it('refuses an interval that is not a positive number', () => {
    for (const intervalMs of [0, -1, Number.NaN]) {
      expect(
        () =>
          new IntervalJob({ name: 'x', intervalMs, logger: recordingLogger() as never, run: async () => {} }),
      ).toThrow(/intervalMs must be a positive number/);
    }
  });
});
