import { type Kafka } from 'kafkajs';
import type pg from 'pg';
import { CliError, ExitCode, isConnectionFailure, describe } from './cli-error.js';

/**
 * Kafka for a short-lived command: few retries and short timeouts, so an unreachable broker is reported in
 * seconds (exit 3), not after kafkajs's default minute of retrying. kafkajs's own log lines are muted: the
 * CLI reports the failure itself. kafkajs is loaded here, on first use, so the commands without Kafka (and
 * `--help`) never pay for it.
 */
export async function cliKafka(config: { brokers: string[]; clientId: string }): Promise<Kafka> {
  const { createKafkaClient, silentLogger } = await import('@rxbridge/service-kit/kafka');
  return createKafkaClient({
    brokers: config.brokers,
    clientId: config.clientId,
    connectionTimeout: 3_000,
    requestTimeout: 15_000,
    retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 },
    logger: silentLogger,
  });
}

/** Runs `work`; a connection failure becomes exit 3 naming the broker list and the variable to check. */
export async function withKafka<T>(brokers: string[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (isConnectionFailure(error))
      throw new CliError(
        `Kafka at ${brokers.join(',')} is unreachable: ${describe(error)}`,
        ExitCode.unreachable,
        'start the broker or set KAFKA_BROKERS to a reachable one',
      );
    throw error;
  }
}

/** A URL with its password masked, for messages. */
export function maskedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** One pg client; a connection failure becomes exit 3 naming the (masked) URL and DATABASE_URL. */
export async function withPg<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (error) {
    throw new CliError(
      `PostgreSQL at ${maskedUrl(url)} is unreachable: ${describe(error)}`,
      ExitCode.unreachable,
      'start PostgreSQL or set DATABASE_URL to a reachable database',
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
