import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { databaseUrl, waitFor } from '@rxbridge/testing';
import { IdempotencyStore } from '../src/index.js';
import {
  executions,
  Gate,
  gate,
  startEdgeTestApp,
  TOKENS,
  type EdgeTestApp,
} from './support/edge-test-app.js';

describe('HTTP edge: idempotent writes (real PostgreSQL)', () => {
  let edge: EdgeTestApp;
  beforeAll(async () => {
    edge = await startEdgeTestApp();
  });
  afterAll(async () => {
    gate.current.release();
    await edge.close();
  });

  const post = (path: string, body: unknown, key: string | undefined, token = TOKENS.writer.token) =>
    fetch(`${edge.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body: JSON.stringify(body),
    });

  it('refuses a write without an Idempotency-Key, or with a malformed one, and runs nothing', async () => {
    const before = executions.adjustments;
    for (const key of [undefined, 'short', 'with space inside it']) {
      const res = await post('/stock/adjustments', { sku: 'ABC', delta: 1 }, key);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_required');
    }
    expect(executions.adjustments).toBe(before);
  });

  it('answers a replay of the same key and body with the first answer, running the handler once', async () => {
    const key = randomUUID();
    const first = await post('/stock/adjustments', { sku: 'ABC-1', delta: 3, note: 'n' }, key);
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    const ran = executions.adjustments;
    // the same body with its keys in another order is the same request
    const replay = await post('/stock/adjustments', { note: 'n', delta: 3, sku: 'ABC-1' }, key);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.text()).toBe(firstBody);
    expect(executions.adjustments).toBe(ran);
  });

  it('answers the same key with another body with 422, running nothing', async () => {
    const key = randomUUID();
    expect((await post('/stock/adjustments', { sku: 'ABC-2', delta: 1 }, key)).status).toBe(201);
    const ran = executions.adjustments;
    const other = await post('/stock/adjustments', { sku: 'ABC-2', delta: 2 }, key);
    expect(other.status).toBe(422);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
    expect(executions.adjustments).toBe(ran);
  });

  it('scopes keys per token: another caller with the same key gets its own answer', async () => {
    const key = randomUUID();
    const mine = (await (await post('/stock/adjustments', { sku: 'ABC-3', delta: 1 }, key)).json()) as {
      adjustment: number;
    };
    const res = await post('/stock/adjustments', { sku: 'ABC-3', delta: 1 }, key, TOKENS.other.token);
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(((await res.json()) as { adjustment: number }).adjustment).not.toBe(mine.adjustment);
  });

  it('lets one of concurrent duplicates run and answers the others 409 with Retry-After, then replays', async () => {
    gate.current = new Gate();
    const key = randomUUID();
    const before = executions.slow;
    const first = post('/stock/slow', { sku: 'ABC-4' }, key);
    // wait until the first is inside its handler, holding the key
    for (let i = 0; i < 400 && gate.current.entered === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(gate.current.entered).toBe(1);
    const duplicates = await Promise.all([1, 2, 3].map(() => post('/stock/slow', { sku: 'ABC-4' }, key)));
    expect(duplicates.map((d) => d.status)).toEqual([409, 409, 409]);
    expect(duplicates[0]!.headers.get('retry-after')).toBe('1');
    expect(((await duplicates[0]!.json()) as { error: { code: string } }).error.code).toBe(
      'idempotency_key_in_use',
    );
    gate.current.release();
    const answered = await first;
    expect(answered.status).toBe(202);
    expect(await answered.json()).toEqual({ accepted: 'ABC-4' });
    const later = await post('/stock/slow', { sku: 'ABC-4' }, key);
    expect([later.status, await later.json()]).toEqual([202, { accepted: 'ABC-4' }]);
    expect(executions.slow).toBe(before + 1);
  });

  it('runs exactly one of duplicates that arrive at the same moment', async () => {
    gate.current = new Gate();
    const key = randomUUID();
    const before = executions.slow;
    const sent = [1, 2, 3, 4, 5].map(() => post('/stock/slow', { sku: 'ABC-6' }, key));
    let answered = 0;
    for (const p of sent) void p.then(() => answered++);
    // the others are refused while the one runs; release it only once they have all been answered (waited
    // for, not slept: on a loaded machine a duplicate may arrive late, and would then be replayed)
    await waitFor(() => answered === 4, 'four duplicates answered', { timeoutMs: 20_000, intervalMs: 10 });
    expect(gate.current.entered).toBe(1);
    gate.current.release();
    const statuses = (await Promise.all(sent)).map((r) => r.status).sort();
    expect(statuses).toEqual([202, 409, 409, 409, 409]);
    expect(executions.slow).toBe(before + 1);
  });

  it('stores a domain refusal (replayed), but releases the key after a malformed body so a fixed retry runs', async () => {
    const cancel = `/orders/${randomUUID()}/cancel`;
    const key = randomUUID();
    const refused = await post(cancel, {}, key, TOKENS.orders.token);
    expect(refused.status).toBe(409);
    const again = await post(cancel, {}, key, TOKENS.orders.token);
    expect([again.status, again.headers.get('idempotent-replayed')]).toEqual([409, 'true']);

    const fixKey = randomUUID();
    expect((await post('/stock/adjustments', { sku: 'ABC-5', delta: 'one' }, fixKey)).status).toBe(400);
    const fixed = await post('/stock/adjustments', { sku: 'ABC-5', delta: 1 }, fixKey);
    expect(fixed.status).toBe(201);
  });

  describe(IdempotencyStore.name, () => {
    it('takes over a claim whose lease ran out (its pod died) and purges keys past their retention', async () => {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const schema = edge.schema;
        const store = new IdempotencyStore(edge.dataSource, { retentionHours: 24, leaseMs: 1 });
        expect(await store.claim('t', 'key-abandoned', 'h1')).toEqual({ kind: 'execute' });
        await new Promise((r) => setTimeout(r, 20));
        expect(await store.claim('t', 'key-abandoned', 'h2')).toEqual({ kind: 'mismatch' });
        expect(await store.claim('t', 'key-abandoned', 'h1')).toEqual({ kind: 'execute' });
        await store.complete('t', 'key-abandoned', 201, { ok: true });
        expect(await store.claim('t', 'key-abandoned', 'h1')).toEqual({
          kind: 'replay',
          status: 201,
          body: { ok: true },
          contentHash: null,
        });

        await client.query(
          `UPDATE "${schema}".http_idempotency_key SET created_at = now() - interval '25 hours' WHERE key = 'key-abandoned'`,
        );
        expect(await store.purge()).toBe(1);
        expect(
          (await client.query(`SELECT 1 FROM "${schema}".http_idempotency_key WHERE key = 'key-abandoned'`))
            .rowCount,
        ).toBe(0);
      } finally {
        await client.end();
      }
    });
  });
});
