import { logLevel, type Admin, type KafkaConfig as KafkaJsConfig } from 'kafkajs';
import { createKafkaClient } from '../kafka/kafka-client.js';
import { silentLogger } from '../kafka/plumbing-observer.js';

/** One dependency readiness depends on. `check` rejects when it is unreachable. */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
  /**
   * Default true. false: the check is reported (its result in the report) but does not make the service
   * unready, for a dependency whose outage a pod cannot fix and whose work waits queued (RxScale).
   */
  critical?: boolean;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  /** false: reported only, the status does not depend on it. */
  critical: boolean;
  durationMs: number;
  /** Why it failed: an error message, never a connection string. */
  error?: string;
}

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  checks: CheckResult[];
}

export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

class CheckTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeoutError(ms)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

// Errors from drivers can quote the URL they tried; strip credentials out of anything that looks like one.
function safeMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\/\/[^/\s:@]+(:[^@\s]*)?@/g, '//***@').slice(0, 300);
}

/** Something that runs SQL: a TypeORM DataSource, a pg Pool or Client. */
export interface Queryable {
  query(sql: string): Promise<unknown>;
}

/** Ready when `SELECT 1` answers within the timeout. */
export function databaseHealthCheck(
  db: Queryable,
  options: { timeoutMs?: number; name?: string } = {},
): HealthCheck {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  return {
    name: options.name ?? 'database',
    async check() {
      await withTimeout(db.query('SELECT 1'), timeoutMs);
    },
  };
}

/**
 * Ready when the cluster answers an admin describeCluster within the timeout. The check has its own kafkajs
 * client built from the connection settings, without retries: a service's client retries a refused connection
 * for up to half a minute in the background, and the probe's own interval is the retry. One admin connection
 * is kept between checks; after a failure it is dropped and the next check connects afresh. Call `close` on
 * shutdown.
 */
export function kafkaHealthCheck(
  connection: Pick<KafkaJsConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl'>,
  options: { timeoutMs?: number; name?: string } = {},
): HealthCheck & { close(): Promise<void> } {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  // NOTHING: a failing probe is reported by the health endpoint; kafkajs's own lines would repeat it each time
  const kafka = createKafkaClient({
    ...connection,
    clientId: `${connection.clientId ?? 'rxbridge'}-health`,
    retry: { retries: 0 },
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    logLevel: logLevel.NOTHING,
    logger: silentLogger,
  });
  let admin: Admin | undefined;
  let connected: Promise<void> | undefined;
  const drop = async () => {
    const old = admin;
    admin = undefined;
    connected = undefined;
    await old?.disconnect().catch(() => undefined);
  };
  return {
    name: options.name ?? 'kafka',
    async check() {
      if (!admin) {
        admin = kafka.admin({ retry: { retries: 0 } });
        connected = admin.connect();
      }
      const current = admin;
      try {
        await withTimeout(
          connected!.then(() => current.describeCluster()),
          timeoutMs,
        );
      } catch (error) {
        await drop();
        throw error;
      }
    },
    close: drop,
  };
}

/** Runs every check concurrently; ready only if every critical one passes. Never throws. */
export async function checkReadiness(checks: readonly HealthCheck[]): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c): Promise<CheckResult> => {
      const started = performance.now();
      const critical = c.critical !== false;
      try {
        await c.check();
        return { name: c.name, ok: true, critical, durationMs: Math.round(performance.now() - started) };
      } catch (error) {
        return {
          name: c.name,
          ok: false,
          critical,
          durationMs: Math.round(performance.now() - started),
          error: safeMessage(error),
        };
      }
    }),
  );
  return { status: results.every((r) => r.ok || !r.critical) ? 'ok' : 'unavailable', checks: results };
}
