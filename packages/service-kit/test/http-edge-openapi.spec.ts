import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertOpenApiDocumentCurrent,
  createLogger,
  createServiceDataSource,
  createServiceHttpApp,
  httpEdgeConfig,
  httpEdgeMigrations,
  loadConfig,
  renderOpenApiDocument,
  writeOpenApiDocument,
} from '../src/index.js';
import { EdgeTestModule, startEdgeTestApp, type EdgeTestApp } from './support/edge-test-app.js';

const committed = fileURLToPath(new URL('./fixtures/edge-test-api.json', import.meta.url));
const REGENERATE = 'RXBRIDGE_WRITE_API_DOCS=1 pnpm --filter @rxbridge/service-kit test -- http-edge-openapi';

interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema?: Record<string, unknown> }[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
  'x-required-scopes'?: string[];
  security?: Record<string, unknown>[];
}

describe('HTTP edge: OpenAPI document from the zod schemas', () => {
  let edge: EdgeTestApp;
  beforeAll(async () => {
    edge = await startEdgeTestApp();
    if (process.env.RXBRIDGE_WRITE_API_DOCS === '1') writeOpenApiDocument(edge.openApi, committed);
  });
  afterAll(async () => {
    await edge.close();
  });
  const op = (path: string, method: string) =>
    (edge.openApi.paths[path] as Record<string, Operation> | undefined)?.[method] as Operation;

  it('documents every route of the service, and not the health probes', () => {
    expect(edge.openApi.openapi).toMatch(/^3\./);
    expect(Object.keys(edge.openApi.paths).sort()).toEqual([
      '/forgotten',
      '/operator/boom',
      '/orders/whoami',
      '/orders/{orderId}/cancel',
      '/stock/adjustments',
      '/stock/slow',
      '/stock/{sku}',
    ]);
  });

  it('takes bodies, queries, path parameters and answers from the same zod schemas the edge parses with', () => {
    const adjust = op('/stock/adjustments', 'post');
    expect(adjust.requestBody!.content['application/json']!.schema).toMatchObject({
      type: 'object',
      required: ['sku', 'delta'],
      additionalProperties: false,
      properties: {
        sku: { type: 'string', pattern: '^[A-Z0-9-]{3,40}$' },
        delta: { type: 'integer', minimum: -1000, maximum: 1000 },
        note: { type: 'string', maxLength: 200 },
      },
    });
    expect(adjust.responses['201']!.content!['application/json']!.schema).toMatchObject({
      properties: { adjustment: { type: 'integer' } },
    });
    const stock = op('/stock/{sku}', 'get');
    expect(stock.parameters!.map((p) => [p.in, p.name, p.required ?? false]).sort()).toEqual([
      ['path', 'sku', true],
      ['query', 'limit', false],
      ['query', 'location', false],
    ]);
    expect(stock.parameters!.find((p) => p.name === 'limit')!.schema).toMatchObject({ maximum: 50 });
  });

  it('documents a body the route may go without as optional, and a refusal the route declares', () => {
    const cancel = op('/orders/{orderId}/cancel', 'post') as Operation & {
      requestBody: { required?: boolean };
    };
    const adjust = op('/stock/adjustments', 'post') as Operation & { requestBody: { required?: boolean } };
    expect(cancel.requestBody.required).toBe(false);
    expect(adjust.requestBody.required).toBe(true);
    // the route's own 409 (a domain refusal) is kept; the edge adds only what the route did not declare
    expect(cancel.responses['409']).toMatchObject({
      description: 'The order has been shipped (order_closed), or a request with this key is still running',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
    });
    expect(cancel.responses['422']).toBeDefined();
  });

  it('names the scopes, the bearer scheme, the error shape and Idempotency-Key on writes', () => {
    const adjust = op('/stock/adjustments', 'post');
    expect(adjust['x-required-scopes']).toEqual(['stock:write']);
    expect(adjust.security).toEqual([{ bearer: [] }]);
    expect(adjust.parameters!.find((p) => p.name === 'Idempotency-Key')).toMatchObject({
      in: 'header',
      required: true,
    });
    expect(Object.keys(adjust.responses).sort()).toEqual(['201', '400', '401', '403', '409', '413', '422']);
    expect(adjust.responses['422']!.content!['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/ApiError',
    });
    const read = op('/stock/{sku}', 'get');
    expect(read.parameters!.some((p) => p.name === 'Idempotency-Key')).toBe(false);
    expect(edge.openApi.components?.schemas?.ApiError).toMatchObject({ required: ['error'] });
  });

  it('serves the document at /docs/json and the explorer at /docs', async () => {
    const json = await fetch(`${edge.url}/docs/json`);
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual(JSON.parse(renderOpenApiDocument(edge.openApi)));
    const page = await fetch(`${edge.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('test/fixtures/edge-test-api.json is current (the staleness test a service copies)', () => {
    assertOpenApiDocumentCurrent(edge.openApi, committed, REGENERATE);
  });

  it('calls a changed or missing document stale or missing, naming the command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-openapi-'));
    try {
      const file = join(dir, 'docs', 'api', 'edge-test.json');
      expect(() => assertOpenApiDocumentCurrent(edge.openApi, file, 'make docs')).toThrow(
        /missing: run `make docs`/,
      );
      writeOpenApiDocument(edge.openApi, file);
      expect(existsSync(file)).toBe(true);
      expect(() => assertOpenApiDocumentCurrent(edge.openApi, file, 'make docs')).not.toThrow();
      const changed = structuredClone(edge.openApi);
      changed.info.version = '2.0.0';
      expect(() => assertOpenApiDocumentCurrent(changed, file, 'make docs')).toThrow(
        /stale: run `make docs`/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds the same document without a database, as a docs script does', async () => {
    const { app, openApi } = await createServiceHttpApp({
      service: 'edge-test',
      module: EdgeTestModule,
      // no shutdown delay: it only matters to a pod behind a Service
      config: loadConfig(httpEdgeConfig(0), { HTTP_SHUTDOWN_DELAY_MS: '0' }),
      logger: createLogger({ service: 'edge-test', level: 'silent' }),
      // never initialised: nothing connects to build the document
      dataSource: createServiceDataSource({
        url: 'postgres://postgres@127.0.0.1:1/none',
        schema: 'edge_docs',
        migrations: httpEdgeMigrations,
      }),
    });
    try {
      expect(renderOpenApiDocument(openApi)).toBe(renderOpenApiDocument(edge.openApi));
    } finally {
      await app.close();
    }
  });
});
