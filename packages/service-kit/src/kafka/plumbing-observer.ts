import { createLogger } from '../logging/logger.js';

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
    /** For `dead-lettered`: the error code written to `dlq-error-code`. */
    errorCode?: string;
  }): void;
  /** `in-place`: retried after a backoff sleep; `parked`: a parked retry failed and the record stays parked. */
  recordRetried?(info: {
    group: string;
    topic: string;
    attempt: number;
    error: string;
    kind?: 'in-place' | 'parked';
  }): void;
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
  outboxFailed?(info: { count: number; error: string; topic?: string }): void;
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
 * Warnings and errors as JSON lines on stderr, without redaction. No longer the default (that is
 * `defaultPlumbingLogger`); kept for scripts that want stderr.
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

/**
 * What the plumbing logs with when the service passes no logger: the service-kit pino logger (JSON on stdout,
 * redaction of patient data, keys and signatures, trace ids of the current scope).
 */
export function defaultPlumbingLogger(service: string): PlumbingLogger {
  return createLogger({ service });
}

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
