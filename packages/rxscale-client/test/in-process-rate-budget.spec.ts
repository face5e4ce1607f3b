import { setMaxListeners } from 'node:events';
import { waitFor } from '@rxbridge/testing';
import { InProcessRateBudget } from '../src/budget/in-process-rate-budget.js';
import type { RxScalePriority } from '../src/budget/rate-budget.js';
import { maxInAnyWindow } from './window-count.js';

describe(InProcessRateBudget.name, () => {
  it('never grants more than perSecond tokens in any one-second window', async () => {
    const budget = new InProcessRateBudget({ perSecond: 10, perMinute: 600 });
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 25 }, () => budget.take('stock-push').then(() => times.push(performance.now()))),
    );
    await budget.close();
    expect(times).toHaveLength(25);
    expect(maxInAnyWindow(times, 1000)).toBeLessThanOrEqual(10);
  });

  it('grants several at one instant when no spacing is kept, still never more than perSecond in a window', async () => {
    const budget = new InProcessRateBudget({ perSecond: 10, perMinute: 600, minSpacingMs: 0 });
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 25 }, () => budget.take('stock-push').then(() => times.push(performance.now()))),
    );
    await budget.close();
    expect(times).toHaveLength(25);
    expect(maxInAnyWindow(times, 1000)).toBeLessThanOrEqual(10);
    // the first ten at once, then the window
    expect(times[9]! - times[0]!).toBeLessThan(500);
    expect(times[10]! - times[0]!).toBeGreaterThanOrEqual(1000);
  });

  it('never grants more than perMinute tokens in the minute window', async () => {
    const budget = new InProcessRateBudget({ perSecond: 10, perMinute: 12 });
    const controller = new AbortController();
    setMaxListeners(50, controller.signal);
    let granted = 0;
    const takes = Array.from({ length: 20 }, () =>
      budget.take('reconciliation', controller.signal).then(
        () => granted++,
        () => undefined,
      ),
    );
    // the minute's 12 are granted within about 1.1 s; then a second more shows no 13th comes
    await waitFor(() => granted >= 12, "the minute's tokens", { timeoutMs: 20_000, intervalMs: 20 });
    await new Promise((r) => setTimeout(r, 1000));
    controller.abort();
    await Promise.all(takes);
    await budget.close();
    expect(granted).toBe(12);
  });

  it('serves waiting order-status calls before reconciliation calls', async () => {
    const budget = new InProcessRateBudget({ perSecond: 2, perMinute: 600 });
    await budget.take('stock-push');
    await budget.take('stock-push');
    const order: RxScalePriority[] = [];
    const waits = [
      ...Array.from({ length: 3 }, () => 'reconciliation' as const),
      ...Array.from({ length: 3 }, () => 'order-status' as const),
      'shipment' as const,
    ].map((p) => budget.take(p).then(() => order.push(p)));
    await Promise.all(waits);
    await budget.close();
    expect(order).toEqual([
      'order-status',
      'order-status',
      'order-status',
      'shipment',
      'reconciliation',
      'reconciliation',
      'reconciliation',
    ]);
  });

  it('gives no token while paused after a 429', async () => {
    const budget = new InProcessRateBudget();
    await budget.pause(300);
    const paused = performance.now();
    await budget.take('order-status');
    // A lower bound only: the take could not have come before the pause ended.
    expect(performance.now() - paused).toBeGreaterThanOrEqual(295);
    await budget.close();
  });

  it('rejects a waiting take when its signal aborts, and one whose signal already aborted', async () => {
    const budget = new InProcessRateBudget({ perSecond: 1, perMinute: 600 });
    await budget.take('order-status');
    const controller = new AbortController();
    const waiting = budget.take('order-status', controller.signal);
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
    await expect(budget.take('order-status', controller.signal)).rejects.toThrow('shutting down');
    await budget.close();
  });

  it('refuses an unknown priority and invalid limits', async () => {
    const budget = new InProcessRateBudget();
    await expect(budget.take('urgent' as RxScalePriority)).rejects.toThrow('Unknown RxScale priority');
    await budget.close();
    expect(() => new InProcessRateBudget({ perSecond: 0 })).toThrow('perSecond');
    expect(() => new InProcessRateBudget({ perMinute: 1.5 })).toThrow('perMinute');
  });

  it('rejects waiting takes when closed', async () => {
    const budget = new InProcessRateBudget({ perSecond: 1 });
    await budget.take('shipment');
    const waiting = expect(budget.take('shipment')).rejects.toThrow('closed');
    await budget.close();
    await waiting;
    await expect(budget.take('shipment')).rejects.toThrow('closed');
  });
});
