// @ts-check
// Every benchmark ends with one JSON line: its name, the machine and configuration it ran on, its
// figures, their targets, and `met` (true only when every target is met).
import os from 'node:os';

/**
 * @param {string} name
 * @param {Record<string, number>} figures
 * @param {Record<string, { figure: string, atLeast?: number, atMost?: number }>} targets
 * @param {Record<string, unknown>} config
 */
export function report(name, figures, targets, config) {
  const results = Object.fromEntries(
    Object.entries(targets).map(([key, t]) => {
      const value = figures[t.figure];
      const ok =
        value !== undefined &&
        Number.isFinite(value) &&
        (t.atLeast === undefined || value >= t.atLeast) &&
        (t.atMost === undefined || value <= t.atMost);
      return [key, { ...t, value, ok }];
    }),
  );
  const met = Object.values(results).every((r) => r.ok);
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
  console.log(JSON.stringify({ name, figures, targets: results, met, machine, config }));
  return met;
}
