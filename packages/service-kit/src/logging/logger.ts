import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LogLevel } from '../config/config-sections.js';
import { currentTrace } from '../tracing/trace-context.js';
import { REDACTED, redactionPaths } from './redaction.js';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** The service name, on every line. */
  service: string;
  level?: LogLevel;
  /** More key names to censor, on top of the standard set. */
  redactKeys?: readonly string[];
  /** Where lines go; stdout by default (tests pass a capturing stream). */
  destination?: DestinationStream;
}

/**
 * A pino JSON logger: one line per entry with `level` as a word, ISO `time`, `service`, and the current
 * `trace_id`/`correlation_id` when logging inside a trace scope. Patient data, API keys, signatures, tokens
 * and secrets are censored by key (see redaction.ts). Values interpolated into the message string cannot be
 * redacted: pass data as fields, never in `msg`.
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: redactionPaths(settings.redactKeys), censor: REDACTED },
    mixin() {
      const scope = currentTrace();
      return scope
        ? {
            trace_id: scope.trace.traceId,
            span_id: scope.trace.parentId,
            correlation_id: scope.correlationId,
          }
        : {};
    },
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}
