/** Where a command's result goes: stdout (a table or text for people, one JSON document with --json). */
export interface OutputOptions {
  json?: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** A plain aligned table; cells are strings. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  printLine(line(headers));
  for (const row of rows) printLine(line(row));
}

/**
 * Progress on stderr, only when stderr is a terminal (a pipe or a log file gets none): `[=====     ] 5/10 label`.
 * Redrawn in place; `done()` clears the line.
 */
export class Progress {
  private readonly enabled: boolean;
  private current = 0;

  constructor(
    private readonly label: string,
    private total: number,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.stream = stream;
    this.enabled = stream.isTTY === true;
    this.draw();
  }

  private readonly stream: NodeJS.WriteStream;

  tick(step = 1): void {
    this.current += step;
    this.draw();
  }

  setTotal(total: number): void {
    this.total = total;
    this.draw();
  }

  done(): void {
    if (this.enabled) this.stream.write('\r\u001b[2K');
  }

  private draw(): void {
    if (!this.enabled) return;
    const width = 24;
    const ratio = this.total > 0 ? Math.min(1, this.current / this.total) : 0;
    const filled = Math.round(ratio * width);
    const count = this.total > 0 ? `${this.current}/${this.total}` : `${this.current}`;
    this.stream.write(
      `\r\u001b[2K[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${count} ${this.label}`,
    );
  }
}

/** Work of unknown length (a service's job): `label… 12 s` on stderr, redrawn each second, TTY only. */
export async function withActivity<T>(
  label: string,
  work: () => Promise<T>,
  stream: NodeJS.WriteStream = process.stderr,
): Promise<T> {
  if (stream.isTTY !== true) return work();
  const started = Date.now();
  const draw = (): void => {
    stream.write(`\r\u001b[2K${label}… ${Math.round((Date.now() - started) / 1000)} s`);
  };
  draw();
  const timer = setInterval(draw, 1_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    stream.write('\r\u001b[2K');
  }
}
