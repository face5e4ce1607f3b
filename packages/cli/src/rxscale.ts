import { type RateBudget, type RxScaleClient } from '@rxbridge/rxscale-client';
import { rxscaleBudgetBucket, type RxscaleSourceConfig } from '@rxbridge/service-kit/config';
import { CliError, ExitCode, unreachable, usageError } from './cli-error.js';

/** The configured source named `name`, or the only one when `name` is absent. */
export function pickSource(
  sources: readonly RxscaleSourceConfig[],
  name: string | undefined,
): RxscaleSourceConfig {
  const names = sources.map((s) => s.name).join(', ');
  if (name === undefined) {
    if (sources.length === 1) return sources[0]!;
    throw usageError(`--source is required: RXSCALE_SOURCES has several sources (${names})`);
  }
  const source = sources.find((s) => s.name === name);
  if (!source) throw usageError(`no RxScale source "${name}"`, `configured sources: ${names}`);
  return source;
}

/** The pharmacies a call of this source acts on: `--pharmacy`, else the source's listed ones. */
export function pharmaciesOf(
  source: RxscaleSourceConfig,
  pharmacy: string | undefined,
): (string | undefined)[] {
  if (pharmacy !== undefined) {
    if (source.pharmacies.length > 0 && !source.pharmacies.includes(pharmacy))
      throw usageError(
        `pharmacy "${pharmacy}" is not in source "${source.name}"`,
        `its pharmacies: ${source.pharmacies.join(', ')}`,
      );
    return [pharmacy];
  }
  if (source.pharmacies.length > 0) return source.pharmacies;
  if (source.scope === 'group')
    throw usageError(
      `source "${source.name}" is a group key that lists no pharmacies: name one with --pharmacy`,
    );
  return [undefined];
}

/**
 * The client's module, loaded on first use so the commands that call no RxScale (and `--help`) never pay for
 * it. Node caches it: a second call costs nothing.
 */
export const rxscaleClientModule = (): Promise<typeof import('@rxbridge/rxscale-client')> =>
  import('@rxbridge/rxscale-client');

export interface CliRxScale {
  client: RxScaleClient;
  /** Closes the client and the budget it took tokens from. */
  close: () => Promise<void>;
}

/**
 * A client for one source: few retries, so an outage is reported in seconds. With DATABASE_URL set, as the
 * services have it, its calls take their tokens from the services' shared budget of that source (the same
 * PostgreSQL bucket), so an operator's command never pushes the fleet over RxScale's limit; without it, or
 * with `shared: false`, from a budget of this process alone.
 */
export async function clientFor(
  source: RxscaleSourceConfig,
  options: { shared?: boolean } = {},
): Promise<CliRxScale> {
  const { RxScaleClient, PostgresRateBudget } = await rxscaleClientModule();
  const databaseUrl = process.env.DATABASE_URL;
  let budget: RateBudget | undefined;
  if (options.shared !== false && databaseUrl) {
    budget = await PostgresRateBudget.create({
      connectionString: databaseUrl,
      bucket: rxscaleBudgetBucket(source.name),
    }).catch((error: unknown) => {
      throw unreachable(
        "the services' shared RxScale budget in PostgreSQL (DATABASE_URL)",
        error,
        'check DATABASE_URL, or unset it to use a budget of this process alone',
      );
    });
  }
  const client = new RxScaleClient({
    baseUrl: source.baseUrl,
    apiKey: source.apiKey,
    keyScope: source.scope,
    ...(source.scope === 'pharmacy' && source.pharmacies[0] ? { pharmacyUid: source.pharmacies[0] } : {}),
    timeoutMs: 10_000,
    retry: { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 1_000, maxElapsedMs: 5_000 },
    userAgent: 'rxbridge-cli',
    ...(budget ? { budget } : {}),
  });
  return {
    client,
    close: async () => {
      await client.close();
      await budget?.close();
    },
  };
}

/** An RxScale failure as a CLI error: unreachable is exit 3, a refused key says which permission to check. */
export async function rxscaleFailure(
  source: RxscaleSourceConfig,
  error: unknown,
  permission?: string,
): Promise<CliError> {
  const {
    RxScaleAuthenticationError,
    RxScaleConnectionError,
    RxScaleError,
    RxScalePermissionError,
    RxScaleTimeoutError,
  } = await rxscaleClientModule();
  const where = `RxScale (source "${source.name}", ${source.baseUrl})`;
  if (error instanceof RxScaleConnectionError || error instanceof RxScaleTimeoutError)
    return new CliError(
      `${where} is unreachable: ${error.message}`,
      ExitCode.unreachable,
      'check the base URL and the network',
    );
  if (error instanceof RxScaleAuthenticationError)
    return new CliError(
      `${where} refused the API key (401)`,
      ExitCode.failed,
      "check the source's apiKey (RXSCALE_SOURCES or RXSCALE_API_KEY)",
    );
  if (error instanceof RxScalePermissionError)
    return new CliError(
      `${where} refused the call (403)`,
      ExitCode.failed,
      permission
        ? `give the key the ${permission} permission in the Pharmacy Portal`
        : "check the key's permissions",
    );
  if (error instanceof RxScaleError) return new CliError(`${where}: ${error.message}`, ExitCode.failed);
  return error instanceof CliError ? error : new CliError(`${where}: ${String(error)}`, ExitCode.failed);
}
