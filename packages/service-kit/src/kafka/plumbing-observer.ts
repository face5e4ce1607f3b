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
  outboxPublished?(info: { topic: string; count: number; delaysMs: number[] }): void;
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

export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // an observer failure must never change what happens to a record
  }
}
