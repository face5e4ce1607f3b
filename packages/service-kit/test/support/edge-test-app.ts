import { Controller, Get, HttpCode, Module, Post, type DynamicModule } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { databaseUrl } from '@rxbridge/testing';
import { z } from 'zod';
import {
  Caller,
  createLogger,
  createServiceDataSource,
  createServiceHttpApp,
  httpEdgeConfig,
  httpEdgeMigrations,
  loadConfig,
  migrateServiceSchema,
  mintApiToken,
  PermanentError,
  plumbingMigrations,
  RequireScope,
  RefusesWith,
  ZodBody,
  ZodParam,
  ZodQuery,
  ZodResponse,
  type ApiCaller,
  type ApiScope,
  type HealthCheck,
  type ServiceHttpApp,
  type ServiceMetrics,
} from '../../src/index.js';

export const StockAdjustment = z.strictObject({
  sku: z.string().regex(/^[A-Z0-9-]{3,40}$/),
  delta: z.number().int().min(-1000).max(1000),
  note: z.string().max(200).optional(),
});
export type StockAdjustment = z.infer<typeof StockAdjustment>;
export const AdjustmentResult = z.object({
  adjustment: z.number().int(),
  sku: z.string(),
  delta: z.number(),
});
export const StockQuery = z.object({
  location: z.string().min(2).max(20).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(10),
});

/** Lets a test hold a request inside its handler (concurrent duplicates). */
export class Gate {
  private open: (() => void) | undefined;
  entered = 0;
  private promise = new Promise<void>((resolve) => (this.open = resolve));
  async pass(): Promise<void> {
    this.entered++;
    await this.promise;
  }
  release(): void {
    this.open?.();
  }
}

export const executions = { adjustments: 0, slow: 0 };
export const gate = { current: new Gate() };

@Controller()
class EdgeTestController {
  @Get('stock/:sku')
  @RequireScope('stock:read')
  @ZodResponse(200, z.object({ sku: z.string(), location: z.string().optional(), limit: z.number() }))
  stock(
    @ZodParam('sku', z.string().regex(/^[A-Z0-9-]{3,40}$/)) sku: string,
    @ZodQuery(StockQuery) query: z.infer<typeof StockQuery>,
  ) {
    return { sku, ...query };
  }

  @Post('stock/adjustments')
  @RequireScope('stock:write')
  @ZodResponse(201, AdjustmentResult, 'The adjustment was recorded')
  adjust(@ZodBody(StockAdjustment) body: StockAdjustment) {
    executions.adjustments++;
    return { adjustment: executions.adjustments, sku: body.sku, delta: body.delta };
  }

  @Post('stock/slow')
  @HttpCode(202)
  @RequireScope('stock:write')
  async slow(@ZodBody(z.object({ sku: z.string() })) body: { sku: string }) {
    executions.slow++;
    await gate.current.pass();
    return { accepted: body.sku };
  }

  @Post('orders/:orderId/cancel')
  @RequireScope('orders:write')
  @RefusesWith(409, 'The order has been shipped (order_closed), or a request with this key is still running')
  cancel(
    @ZodParam('orderId', z.uuid()) orderId: string,
    @ZodBody(z.strictObject({ reason: z.string().max(200).optional() }).optional()) _body: unknown,
  ): never {
    throw new PermanentError(
      `order ${orderId.slice(0, 8)}… cannot be cancelled once shipped`,
      'order_closed',
    );
  }

  @Get('orders/whoami')
  @RequireScope('orders:read')
  whoami(@Caller() caller: ApiCaller) {
    return { name: caller.name, patientData: caller.scopes.has('orders:patient-data') };
  }

  @Get('forgotten')
  forgotten() {
    return { reached: true };
  }

  @Get('operator/boom')
  @RequireScope('operator')
  boom(): never {
    throw new Error('unexpected failure in the handler');
  }
}

@Module({ controllers: [EdgeTestController] })
export class EdgeTestModule {}

export const TOKENS = {
  reader: mintApiToken('reader', ['stock:read', 'orders:read']),
  writer: mintApiToken('writer', ['stock:write']),
  other: mintApiToken('other-writer', ['stock:write']),
  orders: mintApiToken('orders-desk', ['orders:read', 'orders:write', 'orders:patient-data']),
  operator: mintApiToken('operator', ['operator']),
} satisfies Record<string, { token: string; entry: { scopes: ApiScope[] } }>;

export interface EdgeTestApp extends ServiceHttpApp {
  url: string;
  dataSource: DataSource;
  schema: string;
  lines: Record<string, unknown>[];
  close(): Promise<void>;
}

/** The test module behind createServiceHttpApp, listening on a free port, in its own schema. */
export async function startEdgeTestApp(
  options: {
    env?: Record<string, string>;
    healthChecks?: HealthCheck[];
    listen?: boolean;
    metrics?: ServiceMetrics;
    /** more modules beside the test module (a Kafka handler's, for a hybrid app) */
    imports?: DynamicModule[];
    /** add plumbingMigrations (inbox, outbox) to the schema */
    plumbing?: boolean;
  } = {},
): Promise<EdgeTestApp> {
  const schema = `edge_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const dataSource = createServiceDataSource({
    url: databaseUrl,
    schema,
    migrations: [...(options.plumbing ? plumbingMigrations : []), ...httpEdgeMigrations],
  });
  await dataSource.initialize();
  await migrateServiceSchema(dataSource);
  const config = loadConfig(httpEdgeConfig(0), {
    HTTP_API_TOKENS: JSON.stringify(Object.values(TOKENS).map((t) => t.entry)),
    HTTP_SHUTDOWN_DELAY_MS: '0',
    HTTP_BODY_LIMIT_BYTES: '4096',
    ...options.env,
  });
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'edge-test',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const built = await createServiceHttpApp({
    service: 'edge-test',
    module: options.imports
      ? { module: class EdgeHybridModule {}, imports: [EdgeTestModule, ...options.imports] }
      : EdgeTestModule,
    config,
    logger,
    dataSource,
    healthChecks: options.healthChecks ?? [],
    ...(options.metrics ? { metrics: options.metrics } : {}),
    errorStatuses: { order_closed: 409 },
  });
  let url = '';
  if (options.listen !== false) {
    await built.app.listen(0, '127.0.0.1');
    url = (await built.app.getUrl()).replace('[::1]', '127.0.0.1');
  }
  return {
    ...built,
    url,
    dataSource,
    schema,
    lines,
    async close() {
      await built.app.close();
      await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await dataSource.destroy();
    },
  };
}
