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

/**
 * Prints each 429 in a sandbox request log (oldest first) with the calls of the second before it: ms before
 * the 429, endpoint, status. Says whose calls filled that second (another process's, an unbudgeted call).
 * @param {string} name @param {any[]} entries
 */
export function print429s(name, entries) {
  entries.forEach((e, i) => {
    if (e.status !== 429) return;
    const t = Date.parse(e.at);
    const before = entries.slice(0, i + 1).filter((x) => t - Date.parse(x.at) < 1000);
    console.error(
      `[${name}] 429 after`,
      JSON.stringify(before.map((x) => [Date.parse(x.at) - t, x.endpoint ?? x.path, x.status])),
    );
  });
}
