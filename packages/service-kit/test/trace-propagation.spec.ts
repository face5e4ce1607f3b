import {
  enqueueEvents,
  enqueueRxscaleCommand,
  parseTraceparent,
  runWithTrace,
  traceFromHeaders,
} from '../src/index.js';
import { createTestSchema, effectEvent, type TestSchema } from './support/plumbing-harness.js';

const INCOMING = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('trace headers stored with outbox rows and RxScale commands', () => {
  let db: TestSchema;
  beforeEach(async () => {
    db = await createTestSchema();
  });
  afterEach(async () => {
    await db.drop();
  });

  async function storedHeaders(table: 'outbox' | 'rxscale_command'): Promise<Record<string, string>[]> {
    const res = await db.sql.query<{ headers: Record<string, string> }>(
      `SELECT headers FROM ${table} ORDER BY id`,
    );
    return res.rows.map((r) => r.headers);
  }

  it('stores the current scope’s traceparent and correlation id with each row', async () => {
    const scope = traceFromHeaders({ traceparent: INCOMING, correlationid: 'corr-42' });
    await runWithTrace(scope, () =>
      db.dataSource.transaction(async (m) => {
        await enqueueEvents(m, [{ topic: 't', key: 'a', event: effectEvent({ key: 'a', seq: 1 }) }]);
        await enqueueRxscaleCommand(m, { kind: 'order.status', targetUid: 'po_1', payload: {} });
      }),
    );
    const [event] = await storedHeaders('outbox');
    const [command] = await storedHeaders('rxscale_command');
    for (const headers of [event!, command!]) {
      expect(parseTraceparent(headers.traceparent)).toEqual({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        parentId: scope.trace.parentId,
        flags: 1,
      });
      expect(headers.correlationid).toBe('corr-42');
    }
  });

  it('keeps a traceparent and correlation id the caller passes, and other headers beside them', async () => {
    const own = '00-11111111111111111111111111111111-2222222222222222-00';
    await runWithTrace(traceFromHeaders({ traceparent: INCOMING }), () =>
      db.dataSource.transaction(async (m) => {
        await enqueueEvents(m, [
          {
            topic: 't',
            key: 'a',
            event: effectEvent({ key: 'a', seq: 1 }),
            headers: { traceparent: own, correlationid: 'mine', 'x-origin': 'pms' },
          },
        ]);
        await enqueueRxscaleCommand(m, {
          kind: 'order.status',
          targetUid: 'po_1',
          payload: {},
          headers: { traceparent: own },
        });
      }),
    );
    expect(await storedHeaders('outbox')).toEqual([
      { traceparent: own, correlationid: 'mine', 'x-origin': 'pms' },
    ]);
    const [command] = await storedHeaders('rxscale_command');
    expect(command!.traceparent).toBe(own);
  });

  it('starts a fresh trace for rows written outside any scope (a scheduled job)', async () => {
    await db.dataSource.transaction((m) =>
      enqueueEvents(m, [
        { topic: 't', key: 'a', event: effectEvent({ key: 'a', seq: 1 }) },
        { topic: 't', key: 'b', event: effectEvent({ key: 'b', seq: 1 }) },
      ]),
    );
    const rows = await storedHeaders('outbox');
    for (const headers of rows) expect(parseTraceparent(headers.traceparent)).toBeDefined();
  });

  it('refuses a malformed event without storing anything, inside a scope as well', async () => {
    await expect(
      runWithTrace(traceFromHeaders({ traceparent: INCOMING }), () =>
        db.dataSource.transaction((m) =>
          enqueueEvents(m, [{ topic: 't', key: 'a', event: { id: 'x' } as never }]),
        ),
      ),
    ).rejects.toThrow(/not a CloudEvent/);
    expect(await storedHeaders('outbox')).toEqual([]);
  });
});
