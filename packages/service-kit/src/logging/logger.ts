import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LogLevel } from '../config/config-sections.js';
import { currentTrace } from '../tracing/trace-context.js';
import { createRedactor } from './redaction.js';

/** The logger createLogger returns (pino's), named so it cannot clash with other exports. */
export type ServiceLogger = Logger;

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
 * and secrets are censored by key name at any depth (see redaction.ts), in errors' own properties as well.
 * Values interpolated into the message string cannot be redacted: pass data as fields, never in `msg`.
 */
export function createLogger(settings: LoggerSettings): ServiceLogger {
  const redact = createRedactor(settings.redactKeys);
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // An error may carry the request it failed on (headers with the API key) or the body it could not parse.
    serializers: {
      err: (error: Error) => redact({ ...pino.stdSerializers.err(error) }),
      error: (error: unknown) =>
        error instanceof Error ? redact({ ...pino.stdSerializers.err(error) }) : redact(error),
    },
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => redact(object) as Record<string, unknown>,
    },
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
  const logger = settings.destination ? pino(options, settings.destination) : pino(options);
  return redactChildBindings(logger, redact);
}

/**
 * pino serialises a child's bindings once, without `formatters.log`, so `logger.child({ headers })` would
 * bypass redaction: censor them on the way in, for children of children as well.
 */
function redactChildBindings(logger: Logger, redact: (value: unknown) => unknown): Logger {
  type ChildFn = (bindings: Record<string, unknown>, options?: object) => Logger;
  const child = logger.child.bind(logger) as unknown as ChildFn;
  const redactingChild: ChildFn = (bindings, options) =>
    redactChildBindings(child(redact(bindings) as Record<string, unknown>, options), redact);
  (logger as unknown as { child: ChildFn }).child = redactingChild;
  return logger;
}
