import { type Command } from 'commander';
import { CliError, describe, ExitCode, usageError } from '../cli-error.js';
import {
  databaseSection,
  kafkaSection,
  load,
  rxscaleSection,
  servicesSection,
  type ServiceName,
} from '../config.js';
import { cliKafka, maskedUrl } from '../deps.js';
import { printJson, printTable } from '../output.js';
import { clientFor, rxscaleClientModule } from '../rxscale.js';

const PARTS = ['rxscale', 'kafka', 'postgres', 'services'] as const;
type Part = (typeof PARTS)[number];

export interface HealthResult {
  check: string;
  target: string;
  ok: boolean;
  ms: number;
  detail: string;
}

async function timed(check: string, target: string, probe: () => Promise<string>): Promise<HealthResult> {
  const started = performance.now();
  try {
    const detail = await probe();
    return { check, target, ok: true, ms: Math.round(performance.now() - started), detail };
  } catch (error) {
    return { check, target, ok: false, ms: Math.round(performance.now() - started), detail: describe(error) };
  }
}

/** A section's config, or the failed check that says what is wrong with it (the other checks still run). */
function sectionOr<T>(check: string, read: () => T): T | HealthResult {
  try {
    return read();
  } catch (error) {
    const message = error instanceof CliError ? error.message.replace(/\s*\n\s*/g, ' ') : describe(error);
    return { check, target: '(configuration)', ok: false, ms: 0, detail: message };
  }
}

const isResult = (v: unknown): v is HealthResult =>
  typeof v === 'object' && v !== null && 'check' in v && 'ok' in v;

async function rxscaleChecks(): Promise<HealthResult[]> {
  const config = sectionOr('rxscale', () => load({ rxscale: rxscaleSection() }).rxscale);
  if (isResult(config)) return [config];
  return Promise.all(
    config.sources.map((source) =>
      timed('rxscale', `${source.name} ${source.baseUrl}`, async () => {
        // outside the shared budget: one call per key, and a database outage must not read as RxScale's
        const { client, close } = await clientFor(source, { shared: false });
        try {
          await client.health();
          return 'key accepted';
        } finally {
          await close();
        }
      }),
    ),
  );
}

async function kafkaCheck(): Promise<HealthResult[]> {
  const config = sectionOr('kafka', () => load({ kafka: kafkaSection() }).kafka);
  if (isResult(config)) return [config];
  return [
    await timed('kafka', config.brokers.join(','), async () => {
      const admin = (await cliKafka(config)).admin();
      await admin.connect();
      try {
        const cluster = await admin.describeCluster();
        return `${cluster.brokers.length} broker(s), controller ${cluster.controller ?? 'none'}`;
      } finally {
        await admin.disconnect();
      }
    }),
  ];
}

async function postgresCheck(): Promise<HealthResult[]> {
  const config = sectionOr('postgres', () => load({ database: databaseSection() }).database);
  if (isResult(config)) return [config];
  return [
    await timed('postgres', maskedUrl(config.url), async () => {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: config.url, connectionTimeoutMillis: 5_000 });
      await client.connect();
      try {
        await client.query('select 1');
        return 'select 1 answered';
      } finally {
        await client.end().catch(() => undefined);
      }
    }),
  ];
}

async function serviceChecks(): Promise<HealthResult[]> {
  const config = sectionOr('service', () => load({ services: servicesSection() }).services);
  if (isResult(config)) return [config];
  return Promise.all(
    (Object.entries(config.urls) as [ServiceName, string][]).map(([name, base]) =>
      timed(name, `${base}/health/ready`, async () => {
        const res = await fetch(`${base}/health/ready`, { signal: AbortSignal.timeout(5_000) });
        const text = await res.text();
        if (!res.ok) throw new Error(`answered ${res.status}: ${text.slice(0, 300)}`);
        return `ready (${res.status})`;
      }),
    ),
  );
}

export function healthCommand(program: Command): void {
  program
    .command('health')
    .description(
      "check RxScale's health endpoint with every configured key, Kafka (describeCluster), PostgreSQL (select 1) " +
        "and each service's /health/ready (GATEWAY_URL, ORDER_SERVICE_URL, INVENTORY_SERVICE_URL, " +
        'SHIPPING_SERVICE_URL; default the local ports 3000-3003); exit 1 when any check fails',
    )
    .option('--skip <parts>', `comma-separated parts not to check: ${PARTS.join(', ')}`)
    .option('--json', 'print {ok, checks: [...]} as JSON')
    .action(async (opts: { skip?: string; json?: boolean }) => {
      const skip = new Set(
        (opts.skip ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
      const unknown = [...skip].filter((s) => !(PARTS as readonly string[]).includes(s));
      if (unknown.length > 0)
        throw usageError(`--skip: unknown part(s) ${unknown.join(', ')}`, `use some of: ${PARTS.join(', ')}`);
      // Each dependency's module is loaded (on first use: `--help` never pays for them) before any check
      // starts, so no check's ms holds the loading of a module, its own or a concurrent check's.
      const modules: Record<Part, () => Promise<unknown>> = {
        rxscale: rxscaleClientModule,
        kafka: () => import('@rxbridge/service-kit/kafka'),
        postgres: () => import('pg'),
        services: () => Promise.resolve(),
      };
      const parts = PARTS.filter((p) => !skip.has(p));
      await Promise.all(parts.map((p) => modules[p]()));
      const runs: Record<Part, () => Promise<HealthResult[]>> = {
        rxscale: rxscaleChecks,
        kafka: kafkaCheck,
        postgres: postgresCheck,
        services: serviceChecks,
      };
      const checks = (await Promise.all(parts.map((p) => runs[p]()))).flat();
      const ok = checks.every((c) => c.ok);
      if (opts.json) printJson({ ok, checks });
      else
        printTable(
          ['check', 'status', 'ms', 'target', 'detail'],
          checks.map((c) => [c.check, c.ok ? 'ok' : 'FAIL', String(c.ms), c.target, c.detail]),
        );
      if (!ok)
        throw new CliError(
          `${checks.filter((c) => !c.ok).length} of ${checks.length} check(s) failed`,
          ExitCode.failed,
          undefined,
        );
    });
}
