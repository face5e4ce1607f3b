import {
  enqueueRxscaleCommand,
  enqueueRxscaleCommands,
  PermanentError,
  RxscaleCommandRelay,
  silentLogger,
  TransientError,
  type CommandExecutor,
  type RxscaleCommand,
  type RxscaleCommandRelayOptions,
} from '../src/index.js';
import { waitFor } from '@rxbridge/testing';
import { count, createTestSchema, type TestSchema } from './support/plumbing-harness.js';

/** An executor that records what it was asked to do (the RxScale client is another part's). */
function recording(
  answer: (command: RxscaleCommand, call: number) => ReturnType<CommandExecutor>,
): CommandExecutor & { calls: RxscaleCommand[] } {
  const calls: RxscaleCommand[] = [];
  const execute = (command: RxscaleCommand): ReturnType<CommandExecutor> => {
    calls.push(command);
    return answer(command, calls.length);
  };
  return Object.assign(execute, { calls });
}

describe(RxscaleCommandRelay.name, () => {
  let db: TestSchema;
  const relays: RxscaleCommandRelay[] = [];

  beforeEach(async () => {
    db = await createTestSchema();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await db.drop();
  });

  async function startRelay(
    execute: CommandExecutor,
    options: Partial<RxscaleCommandRelayOptions> = {},
  ): Promise<RxscaleCommandRelay> {
    const relay = new RxscaleCommandRelay({
      dataSource: db.dataSource,
      execute,
      backoff: { initialMs: 20, maxMs: 50 },
      pollIntervalMs: 200,
      logger: silentLogger,
      onOutcome: async (manager, command, outcome) => {
        await manager.query('INSERT INTO command_outcome (command_id, outcome, reason) VALUES ($1, $2, $3)', [
          command.id,
          outcome.outcome,
          outcome.outcome === 'done' ? null : outcome.reason,
        ]);
      },
      ...options,
    });
    relays.push(relay);
    await relay.start();
    return relay;
  }

  function enqueue(command: Parameters<typeof enqueueRxscaleCommand>[1]): Promise<string> {
    return db.dataSource.transaction((m) => enqueueRxscaleCommand(m, command));
  }

  it('retries a retryable failure until RxScale acknowledges, then records done for the service', async () => {
    const execute = recording((_command, call) =>
      call < 3
        ? Promise.reject(Object.assign(new Error('RxScale answered 503'), { retryable: true }))
        : Promise.resolve({ outcome: 'done' }),
    );
    await startRelay(execute);
    const id = await enqueue({
      kind: 'order.status',
      targetUid: 'po_1',
      payload: { status: 'in-progress' },
      pharmacyUid: 'ph_1',
    });
    await waitFor(
      () => count(db.sql, "SELECT 1 FROM rxscale_command WHERE status = 'done'"),
      'the command done',
    );
    const row = await db.sql.query(
      'SELECT status, attempts, reason, last_error, completed_at FROM rxscale_command WHERE id = $1',
      [id],
    );
    expect(row.rows[0]).toMatchObject({ status: 'done', attempts: 3, reason: null });
    expect(row.rows[0].last_error).toContain('503');
    expect(execute.calls).toHaveLength(3);
    expect(execute.calls[0]).toMatchObject({
      kind: 'order.status',
      targetUid: 'po_1',
      payload: { status: 'in-progress' },
      pharmacyUid: 'ph_1',
    });
    const outcome = await db.sql.query('SELECT outcome, reason FROM command_outcome WHERE command_id = $1', [
      id,
    ]);
    expect(outcome.rows).toEqual([{ outcome: 'done', reason: null }]);
  });

  it('records a refusal with its reason and does not retry it', async () => {
    const execute = recording(() =>
      Promise.resolve({ outcome: 'refused', reason: 'transition cancelled → in-progress not allowed' }),
    );
    await startRelay(execute);
    const id = await enqueue({ kind: 'order.status', targetUid: 'po_2', payload: { status: 'in-progress' } });
    await waitFor(() => count(db.sql, 'SELECT 1 FROM command_outcome'), 'the outcome');
    const row = await db.sql.query('SELECT status, reason, attempts FROM rxscale_command WHERE id = $1', [
      id,
    ]);
    expect(row.rows[0]).toEqual({
      status: 'refused',
      reason: 'transition cancelled → in-progress not allowed',
      attempts: 1,
    });
    const outcome = await db.sql.query('SELECT outcome, reason FROM command_outcome');
    expect(outcome.rows).toEqual([
      { outcome: 'refused', reason: 'transition cancelled → in-progress not allowed' },
    ]);
    // a later command shows the relay kept going without calling RxScale again for the refused one
    await enqueue({ kind: 'order.status', targetUid: 'po_3', payload: {} });
    await waitFor(
      () => count(db.sql, 'SELECT 1 FROM command_outcome HAVING count(*) = 2'),
      'the next command',
    );
    expect(execute.calls.filter((c) => c.id === id)).toHaveLength(1);
  });

  it('marks a permanent error failed, with its reason, without retrying', async () => {
    const execute = recording(() => Promise.reject(new PermanentError('RxScale answered 422: unknown sku')));
    await startRelay(execute);
    const id = await enqueue({ kind: 'sku.stock', targetUid: 'sku_1', payload: { stock: 3 } });
    await waitFor(
      () => count(db.sql, "SELECT 1 FROM rxscale_command WHERE status = 'failed'"),
      'the failed command',
    );
    const row = await db.sql.query('SELECT reason, attempts FROM rxscale_command WHERE id = $1', [id]);
    expect(row.rows[0]).toEqual({ reason: 'PermanentError: RxScale answered 422: unknown sku', attempts: 1 });
    expect(execute.calls).toHaveLength(1);
  });

  it('runs the commands of one target in order while others proceed, and higher priority first', async () => {
    const executed: string[] = [];
    let failFirst = true;
    const execute: CommandExecutor = (command) => {
      const label = (command.payload as { label: string }).label;
      if (label === 'a1' && failFirst) {
        failFirst = false;
        return Promise.reject(new TransientError('timeout'));
      }
      executed.push(label);
      return Promise.resolve({ outcome: 'done' });
    };
    await db.dataSource.transaction((m) =>
      enqueueRxscaleCommands(m, [
        { kind: 'k', targetUid: 'A', payload: { label: 'a1' } },
        { kind: 'k', targetUid: 'A', payload: { label: 'a2' } },
        { kind: 'k', targetUid: 'B', payload: { label: 'b1' } },
        { kind: 'k', targetUid: 'A', payload: { label: 'a3' } },
        { kind: 'k', targetUid: 'C', payload: { label: 'c1' }, priority: 10 },
      ]),
    );
    await startRelay(execute, { concurrency: 1 });
    await waitFor(() => executed.length === 5, 'every command');
    expect(executed.filter((l) => l.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(executed[0]).toBe('c1');
  });

  describe('in batches', () => {
    it('claims several due commands at once, one per target, and takes the one queued behind at once', async () => {
      let inFlight = 0;
      const batches: string[][] = [];
      let current: string[] = [];
      const execute: CommandExecutor = async (command) => {
        const label = (command.payload as { label: string }).label;
        if (inFlight === 0) batches.push((current = []));
        inFlight++;
        current.push(label);
        // held until the batch's other calls had the chance to start
        await new Promise((r) => setTimeout(r, 50));
        inFlight--;
        return { outcome: 'done' };
      };
      await db.dataSource.transaction((m) =>
        enqueueRxscaleCommands(m, [
          { kind: 'k', targetUid: 'A', payload: { label: 'a1' } },
          { kind: 'k', targetUid: 'A', payload: { label: 'a2' } },
          { kind: 'k', targetUid: 'B', payload: { label: 'b1' } },
          { kind: 'k', targetUid: 'C', payload: { label: 'c1' } },
        ]),
      );
      // no poll within the test: a2 can only be taken because a1's settlement says it is queued behind
      await startRelay(execute, { concurrency: 1, batchSize: 4, pollIntervalMs: 60_000 });
      await waitFor(
        () => count(db.sql, "SELECT 1 FROM rxscale_command WHERE status = 'done' HAVING count(*) = 4"),
        'every command done',
      );
      expect(batches.map((b) => [...b].sort())).toEqual([['a1', 'b1', 'c1'], ['a2']]);
      const outcomes = await db.sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM command_outcome GROUP BY command_id',
      );
      expect(outcomes.rows).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }, { n: 1 }]);
      const attempts = await db.sql.query<{ attempts: number }>('SELECT attempts FROM rxscale_command');
      expect(attempts.rows.every((r) => r.attempts === 1)).toBe(true);
    });

    it("undoes only a failing outcome: the batch's others commit, the failed one is put back and runs again", async () => {
      const execute = recording(() => Promise.resolve({ outcome: 'done' }));
      let failed = false;
      await db.dataSource.transaction((m) =>
        enqueueRxscaleCommands(m, [
          { kind: 'k', targetUid: 'A', payload: {} },
          { kind: 'k', targetUid: 'B', payload: {} },
          { kind: 'k', targetUid: 'C', payload: {} },
        ]),
      );
      await startRelay(execute, {
        concurrency: 1,
        batchSize: 3,
        onOutcome: async (manager, command, outcome) => {
          await manager.query(
            'INSERT INTO command_outcome (command_id, outcome, reason) VALUES ($1, $2, $3)',
            [command.id, outcome.outcome, null],
          );
          if (command.targetUid === 'B' && !failed) {
            failed = true;
            throw new Error('the service could not record it');
          }
        },
      });
      await waitFor(
        () => count(db.sql, "SELECT 1 FROM rxscale_command WHERE status = 'done' HAVING count(*) = 3"),
        'every command done',
      );
      expect(execute.calls.map((c) => c.targetUid).sort()).toEqual(['A', 'B', 'B', 'C']);
      // B's first outcome row was rolled back with its savepoint; its attempts count the settled run only
      const rows = await db.sql.query<{ target_uid: string; attempts: number; outcomes: number }>(
        `SELECT c.target_uid, c.attempts, (SELECT count(*)::int FROM command_outcome o WHERE o.command_id = c.id::text) AS outcomes
         FROM rxscale_command c ORDER BY c.target_uid`,
      );
      expect(rows.rows).toEqual([
        { target_uid: 'A', attempts: 1, outcomes: 1 },
        { target_uid: 'B', attempts: 1, outcomes: 1 },
        { target_uid: 'C', attempts: 1, outcomes: 1 },
      ]);
    });
  });

  it('rejects an invalid command and enqueues nothing of its transaction', async () => {
    await expect(
      db.dataSource.transaction((m) =>
        enqueueRxscaleCommands(m, [
          { kind: 'order.status', targetUid: 'po_1', payload: {} },
          { kind: '', targetUid: 'po_1', payload: {} },
        ]),
      ),
    ).rejects.toThrow(/invalid RxScale command: kind/);
    expect(await count(db.sql, 'SELECT 1 FROM rxscale_command')).toBe(0);
  });
});
