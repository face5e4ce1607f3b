/**
 * Exit codes of `rxbridge` (also in `rxbridge --help`): scripts branch on them.
 * 0 ok; 1 a check or an operation failed; 2 bad usage (arguments); 3 a dependency is unreachable (Kafka,
 * PostgreSQL, RxScale, a service); 78 bad configuration (EX_CONFIG, as the services).
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  unreachable: 3,
  config: 78,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line (what went wrong, then how to fix it) and an exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failed,
    readonly fix?: string,
  ) {
    super(message);
  }
}

export function usageError(message: string, fix?: string): CliError {
  return new CliError(message, ExitCode.usage, fix);
}

export function unreachable(what: string, cause: unknown, fix: string): CliError {
  return new CliError(`${what} is unreachable: ${describe(cause)}`, ExitCode.unreachable, fix);
}

/** An error's message without its stack; nested causes (fetch's) named once. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const causeText =
    cause instanceof Error && cause.message && !error.message.includes(cause.message)
      ? ` (${(cause as { code?: string }).code ?? cause.message})`
      : '';
  return `${error.message}${causeText}`;
}

/** Connection refused, DNS failure, timeout, reset: the far side is not there (exit 3, not 1). */
export function isConnectionFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    const name = (e as { name?: unknown }).name;
    if (
      typeof code === 'string' &&
      [
        'ECONNREFUSED',
        'ENOTFOUND',
        'EAI_AGAIN',
        'ETIMEDOUT',
        'ECONNRESET',
        'EHOSTUNREACH',
        'UND_ERR_CONNECT_TIMEOUT',
      ].includes(code)
    )
      return true;
    if (
      typeof name === 'string' &&
      [
        'KafkaJSConnectionError',
        'KafkaJSNumberOfRetriesExceeded',
        'KafkaJSBrokerNotFound',
        'TimeoutError',
      ].includes(name)
    )
      return true;
    e =
      (e as { cause?: unknown; originalError?: unknown }).cause ??
      (e as { originalError?: unknown }).originalError;
  }
  return false;
}
