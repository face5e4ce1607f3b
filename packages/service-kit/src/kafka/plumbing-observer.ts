/**
 * What the plumbing reports, for metrics and logs. The service wires this to its Prometheus registry and
 * pino logger; every callback is optional and must not throw.
 */
export type RecordOutcome = 'handled' | 'duplicate' | 'parked' | 'dead-lettered';

export interface PlumbingObserver {
  recordProcessed?(info: {
    group: string;
    topic: string;
    type?: string;
    outcome: RecordOutcome;
    durationMs: number;
  }): void;
  recordRetried?(info: { group: string; topic: string; attempt: number; error: string }): void;
  /**
   * `delaysMs`: Kafka's ack minus each row's insert time (the insert happens inside the enqueueing
   * transaction, so this includes the rest of that transaction). `eventIds` and `ackedAt` (epoch ms) let a
   * caller measure from its own commit time instead.
   */
  outboxPublished?(info: {
    topic: string;
    count: number;
    delaysMs: number[];
    eventIds: string[];
    ackedAt: number;
  }): void;
  outboxFailed?(info: { count: number; error: string }): void;
  commandExecuted?(info: {
    kind: string;
    outcome: 'done' | 'refused' | 'failed' | 'retry';
    durationMs: number;
  }): void;
}

/** The subset of a pino logger the plumbing uses. Messages never carry payloads. */
export interface PlumbingLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: PlumbingLogger = { info() {}, warn() {}, error() {} };

/**
 * The default until a service passes its pino logger: warnings and errors as JSON lines on stderr, so a
 * failure is never silent.
 */
export const stderrLogger: PlumbingLogger = {
  info() {},
  warn: (obj, msg) =>
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', time: new Date().toISOString(), msg, ...obj })}\n`,
    ),
  error: (obj, msg) =>
    process.stderr.write(
      `${JSON.stringify({ level: 'error', time: new Date().toISOString(), msg, ...obj })}\n`,
    ),
};

export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // an observer failure must never change what happens to a record
  }
}

/** kafkajs's own log lines, routed to the plumbing logger (WARN and ERROR only; they carry no payloads). */
export function kafkaLogCreator(
  log: PlumbingLogger,
): () => (entry: {
  level: number;
  label: string;
  namespace: string;
  log: { message: string } & Record<string, unknown>;
}) => void {
  return () =>
    ({ level, namespace, log: entry }) => {
      const { message, ...fields } = entry;
      const obj = { component: `kafkajs.${namespace}`, ...fields };
      // kafkajs levels: ERROR = 1, WARN = 2
      if (level === 1) log.error(obj, message);
      else if (level === 2) log.warn(obj, message);
    };
}
