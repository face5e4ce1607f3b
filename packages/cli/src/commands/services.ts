import { randomUUID } from 'node:crypto';
import { type Command } from 'commander';
import { CliError, describe, ExitCode, usageError } from '../cli-error.js';
import {
  load,
  servicesSection,
  SERVICE_URL_VARIABLES,
  type ServiceName,
  type ServicesConfig,
} from '../config.js';
import { printJson, printLine, withActivity } from '../output.js';

/**
 * The commands that run a service's use case now go through its REST API (`POST /operations/<job>`, scope
 * `operator`), never a second implementation. The token is RXBRIDGE_API_TOKEN.
 */
export async function callService(
  config: ServicesConfig,
  service: ServiceName,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  if (!config.apiToken)
    throw new CliError(
      'RXBRIDGE_API_TOKEN is not set',
      ExitCode.config,
      "set it to an operator token (`rxbridge tokens create --name ops --scopes operator,orders:read`, entry in the services' HTTP_API_TOKENS)",
    );
  const url = `${config.urls[service]}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${config.apiToken}`,
        accept: 'application/json',
        ...(method === 'POST' ? { 'content-type': 'application/json', 'idempotency-key': randomUUID() } : {}),
      },
      ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
      // a job may run for a while (a full SKU sync): a generous limit, not none
      signal: AbortSignal.timeout(10 * 60_000),
    });
  } catch (error) {
    throw new CliError(
      `${service} at ${config.urls[service]} is unreachable: ${describe(error)}`,
      ExitCode.unreachable,
      `start it or set ${SERVICE_URL_VARIABLES[service]}`,
    );
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: reported as text below
  }
  if (res.status === 401 || res.status === 403)
    throw new CliError(
      `${service} refused RXBRIDGE_API_TOKEN (${res.status})`,
      ExitCode.failed,
      res.status === 401
        ? "the token is not in the service's HTTP_API_TOKENS: add its entry there"
        : `give the token the scope this route needs (${path.startsWith('/operations/') ? 'operator' : 'orders:read'})`,
    );
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
    throw new CliError(
      `${service} answered ${res.status} to ${method} ${path}: ${error ? `${error.code ?? ''} ${error.message ?? ''}`.trim() : text.slice(0, 300)}`,
      ExitCode.failed,
    );
  }
  return parsed;
}

function printResult(result: unknown, json: boolean | undefined): void {
  if (json) return printJson(result);
  if (result && typeof result === 'object' && !Array.isArray(result))
    for (const [k, v] of Object.entries(result))
      printLine(`${k.padEnd(20)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  else printLine(JSON.stringify(result));
}

function job(service: ServiceName, path: string, label: string, body?: unknown) {
  return async (opts: { json?: boolean }) => {
    const { services } = load({ services: servicesSection() });
    const result = await withActivity(label, () => callService(services, service, 'POST', path, body));
    printResult(result, opts.json);
  };
}

const UID = /^[^\s/?#]{1,200}$/;

export function servicesCommands(program: Command): void {
  const skus = program.command('skus').description("inventory-service's SKU mapping with RxScale");
  skus
    .command('sync')
    .description(
      "run inventory-service's SKU sync now (POST /operations/sku-sync on INVENTORY_SERVICE_URL) and print its summary",
    )
    .option('--json', 'print the summary as JSON')
    .action(job('inventory-service', '/operations/sku-sync', 'syncing SKUs'));

  const stock = program.command('stock').description("inventory-service's stock at RxScale");
  stock
    .command('push')
    .description(
      "queue stock pushes to RxScale (POST /operations/stock-push on INVENTORY_SERVICE_URL) for every mapped SKU, or those named, whose level at RxScale per inventory-service's record is not ours; a change RxScale never reported needs `skus sync`",
    )
    .option('--sku <sku...>', 'only these SKUs (repeat or separate by commas)')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: { sku?: string[]; json?: boolean }) => {
      const skus = opts.sku
        ?.flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean);
      if (opts.sku && (!skus || skus.length === 0)) throw usageError('--sku needs at least one SKU');
      await job('inventory-service', '/operations/stock-push', 'pushing stock', skus ? { skus } : {})(opts);
    });

  const orders = program.command('orders').description("order-service's orders");
  orders
    .command('reconcile')
    .description(
      "run order-service's safety net now (POST /operations/safety-net on ORDER_SERVICE_URL): compare with RxScale and repair",
    )
    .option('--json', 'print the summary as JSON')
    .action(job('order-service', '/operations/safety-net', 'reconciling orders'));
  orders
    .command('show')
    .description(
      'one order with its status history and RxScale command log (GET /orders/{uid}); no patient data unless the token has orders:patient-data',
    )
    .argument('<uid>', 'the RxScale pharmacy order uid')
    .option('--json', 'print the order as JSON')
    .action(async (uid: string, opts: { json?: boolean }) => {
      if (!UID.test(uid))
        throw usageError(`"${uid}" is not an order uid (1-200 characters without spaces, "/", "?" or "#")`);
      const { services } = load({ services: servicesSection() });
      const order = await callService(services, 'order-service', 'GET', `/orders/${encodeURIComponent(uid)}`);
      printResult(order, opts.json);
    });
}
