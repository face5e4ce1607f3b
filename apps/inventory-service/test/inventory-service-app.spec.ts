import { startSandbox, type RunningSandbox } from '@rxbridge/rxscale-sandbox';
import { freePort } from '@rxbridge/testing';
import { type Producer } from 'kafkajs';
import { waitFor } from '@rxbridge/testing';
import {
  admin,
  orderCancelled,
  orderCompleted,
  orderReceived,
  outboxEvents,
  pznOf,
  sandboxPharmacy,
  sandboxStock,
  stockPushes,
} from './support/inventory-test-kit.js';
import {
  call,
  dropSchema,
  ensureTopics,
  orderProducer,
  publish,
  startInventory,
  TOKENS,
  type RunningInventory,
} from './support/inventory-app.js';

/** The service as it runs: REST edge, Kafka handlers, relays and jobs, created by createInventoryServiceApp. */
describe('inventory-service app', () => {
  let sb: RunningSandbox;
  let producer: Producer;
  const apps: RunningInventory[] = [];
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, rateLimit: false, webhooks: { baseDelayMs: 20 } });
    await ensureTopics();
    producer = await orderProducer();
  });
  afterAll(async () => {
    for (const a of apps.splice(0)) {
      await a.close();
      await dropSchema(a);
    }
    await producer.disconnect();
    await sb.close();
  });

  async function start(
    keys: Record<string, string>,
    extra: Partial<Parameters<typeof startInventory>[0]> = {},
  ) {
    const app = await startInventory({ sandbox: sb, keys, ...extra });
    apps.push(app);
    return app;
  }

  it('is ready with RxScale reported reachable, and stays ready (RxScale down) when its source answers nowhere', async () => {
    const uid = `ph-health-${run}`;
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count: 1, stock: 0 });
    const up = await start({ [uid]: ph.apiKey }, { startJobs: false });
    const ready = await fetch(`${up.url}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { details: Record<string, { status: string; message?: string }> };
    expect(Object.keys(body.details).sort()).toEqual(['database', 'kafka', 'rxscale', 'shutdown']);
    expect(body.details.rxscale).toMatchObject({ status: 'up', critical: false });

    // a source whose RxScale is unreachable: reported down, the stock API stays in service
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await start(
      {},
      {
        startJobs: false,
        env: {
          RXSCALE_SOURCES: JSON.stringify({
            gone: { baseUrl: closed, apiKey: ph.apiKey, scope: 'pharmacy', pharmacies: [uid] },
          }),
        },
      },
    );
    const degraded = await fetch(`${down.url}/health/ready`);
    expect(degraded.status).toBe(200);
    const report = (await degraded.json()) as typeof body;
    expect(report.details.rxscale).toMatchObject({ status: 'down', critical: false });
    expect(report.details.rxscale!.message).toContain('source gone');
    expect(report.details.rxscale!.message).not.toContain(ph.apiKey);
  });

  it('maps the SKUs a first upload creates articles for, so the first order reserves and its stock is pushed', async () => {
    // The defect of the whole-system run: the sync at start ran before the PMS's first upload, so the
    // SKUs stayed unmapped until the next hourly sync and the first order never completed.
    const uid = `ph-first-${run}`;
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count: 3, stock: 0 });
    const app = await start({ [uid]: ph.apiKey });
    await waitFor(() => Promise.resolve(app.jobs.skuSync.lastRun), 'the sync at start');
    const before = await call(app, 'GET', `/pharmacies/${uid}/skus/unmapped`, { token: TOKENS.reader.token });
    expect(before.body.items).toHaveLength(3);

    // articles by PZN (the SKUs carry no external id yet)
    const upload = await call(app, 'POST', `/pharmacies/${uid}/stock`, {
      token: TOKENS.writer.token,
      body: { lines: [0, 1, 2].map((i) => ({ article_id: `A-${i}`, on_hand: 5 + i, pzn: pznOf(i) })) },
    });
    expect(upload.status).toBe(200);
    expect(upload.body).toMatchObject({ accepted: 3, rejected_count: 0, skus_mapped: 3, pushes_queued: 3 });
    const after = await call(app, 'GET', `/pharmacies/${uid}/skus/unmapped`, { token: TOKENS.reader.token });
    expect(after.body).toMatchObject({ items: [], unmapped_article_count: 0 });

    // pushed, and the article id written into RxScale's external_id
    await waitFor(async () => (await sandboxStock(sb, ph.pharmacySkuUids[2]!)) === 7, 'stock pushed');
    await waitFor(
      async () =>
        (await admin<{ external_id: string | null }>(sb, 'GET', `/pharmacy-skus/${ph.pharmacySkuUids[0]}`))
          .external_id === 'A-0',
      'external id written',
    );

    await publish(
      producer,
      'pharmacy.order.received',
      orderReceived(uid, `po-${run}-1`, [{ pharmacySkuUid: ph.pharmacySkuUids[0]!, quantity: 2 }]),
    );
    const reserved = await waitFor(async () => {
      const e = await outboxEvents(app.dataSource, 'pharmacy.stock.reserved');
      return e.length > 0 ? e : undefined;
    }, 'reserved');
    expect(reserved[0]!.data).toMatchObject({ pharmacy_order_uid: `po-${run}-1` });
    await waitFor(async () => (await sandboxStock(sb, ph.pharmacySkuUids[0]!)) === 3, 'available pushed');
  });

  it("leaves alone the orders of a pharmacy no source holds (another deployment's), and answers its own", async () => {
    const uid = `ph-own-${run}`;
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count: 1, stock: 0 });
    const app = await start({ [uid]: ph.apiKey });
    // the other deployment's order first: had it been answered, its answer would be in the outbox before ours
    await publish(
      producer,
      'pharmacy.order.received',
      orderReceived(`ph-elsewhere-${run}`, `po-${run}-elsewhere`, [
        { pharmacySkuUid: 'psku-elsewhere', quantity: 1 },
      ]),
    );
    await publish(
      producer,
      'pharmacy.order.received',
      orderReceived(uid, `po-${run}-own`, [{ pharmacySkuUid: ph.pharmacySkuUids[0]!, quantity: 1 }]),
    );
    await waitFor(async () => {
      const e = await outboxEvents(app.dataSource, 'pharmacy.stock.reservation-failed');
      return e.some((x) => (x.data as { pharmacy_order_uid: string }).pharmacy_order_uid === `po-${run}-own`)
        ? e
        : undefined;
    }, 'our own order answered (nothing on the shelf)');
    const answered = [
      ...(await outboxEvents(app.dataSource, 'pharmacy.stock.reservation-failed')),
      ...(await outboxEvents(app.dataSource, 'pharmacy.stock.reserved')),
    ].map((e) => (e.data as { pharmacy_order_uid: string }).pharmacy_order_uid);
    expect(answered).toEqual([`po-${run}-own`]);
  });

  it('releases on cancel and deducts on completion without counting twice at the sandbox', async () => {
    const uid = `ph-life-${run}`;
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count: 1, stock: 0, externalIds: true });
    const app = await start({ [uid]: ph.apiKey });
    const psku = ph.pharmacySkuUids[0]!;
    expect(
      (
        await call(app, 'PUT', `/pharmacies/${uid}/stock/ART-0`, {
          token: TOKENS.writer.token,
          body: { on_hand: 10 },
        })
      ).status,
    ).toBe(200);
    await waitFor(async () => (await sandboxStock(sb, psku)) === 10, 'first push');

    await publish(
      producer,
      'pharmacy.order.received',
      orderReceived(uid, `po-${run}-c`, [{ pharmacySkuUid: psku, quantity: 4 }]),
    );
    await waitFor(async () => (await sandboxStock(sb, psku)) === 6, 'reserved units pushed');
    await publish(producer, 'pharmacy.order.cancelled', orderCancelled(uid, `po-${run}-c`));
    await waitFor(async () => (await sandboxStock(sb, psku)) === 10, 'released units pushed');

    // completion: RxScale lowers its own count on complete_order (as the sandbox's admin does here)
    await publish(
      producer,
      'pharmacy.order.received',
      orderReceived(uid, `po-${run}-d`, [{ pharmacySkuUid: psku, quantity: 3 }]),
    );
    await waitFor(async () => (await sandboxStock(sb, psku)) === 7, 'reserved units pushed');
    await admin(sb, 'PATCH', `/pharmacy-skus/${psku}/stock`, { stock: 4 }); // RxScale's own -3 on completion
    await publish(producer, 'pharmacy.order.completed', orderCompleted(uid, `po-${run}-d`));
    await waitFor(async () => {
      const level = await call(app, 'GET', `/pharmacies/${uid}/stock/ART-0`, { token: TOKENS.reader.token });
      return level.body.on_hand === 7 && level.body.reserved === 0 ? level : undefined;
    }, 'deducted once');
    await waitFor(async () => (await sandboxStock(sb, psku)) === 7, 'RxScale at 10 - 3, not 10 - 6');
  });

  it('reports bad lines by number and applies the good ones; refuses a malformed CSV and an oversized upload whole', async () => {
    const uid = `ph-bad-${run}`;
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count: 1, stock: 0 });
    const app = await start(
      { [uid]: ph.apiKey },
      { env: { INVENTORY_UPLOAD_MAX_BYTES: '2048' }, startJobs: false },
    );
    const csv = 'article_id,on_hand,pzn\nB-1,4,\nB-2,-1,\nB-3,abc,\n,3,\nB-4,2,12x\nB-5,9,\n';
    const res = await call(app, 'POST', `/pharmacies/${uid}/stock`, { token: TOKENS.writer.token, csv });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 6, accepted: 2, rejected_count: 4 });
    expect(res.body.rejected.map((r: { line: number; code: string }) => [r.line, r.code])).toEqual([
      [3, 'on_hand_negative'],
      [4, 'on_hand_not_integer'],
      [5, 'article_id_missing'],
      [6, 'pzn_invalid'],
    ]);
    const levels = await call(app, 'GET', `/pharmacies/${uid}/stock`, { token: TOKENS.reader.token });
    expect(
      levels.body.items.map((i: { article_id: string; on_hand: number }) => [i.article_id, i.on_hand]),
    ).toEqual([
      ['B-1', 4],
      ['B-5', 9],
    ]);

    const malformed = await call(app, 'POST', `/pharmacies/${uid}/stock`, {
      token: TOKENS.writer.token,
      csv: 'article_id,on_hand\nB-1,40\n"B-9,1\n',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('csv_malformed');
    const big = 'article_id,on_hand\n' + Array.from({ length: 300 }, (_, i) => `C-${i},1`).join('\n') + '\n';
    const oversized = await call(app, 'POST', `/pharmacies/${uid}/stock`, {
      token: TOKENS.writer.token,
      csv: big,
    });
    expect(oversized.status).toBe(413);
    expect(oversized.body.error.code).toBe('upload_too_large');
    const unchanged = await call(app, 'GET', `/pharmacies/${uid}/stock`, { token: TOKENS.reader.token });
    expect(
      unchanged.body.items.map((i: { article_id: string; on_hand: number }) => [i.article_id, i.on_hand]),
    ).toEqual([
      ['B-1', 4],
      ['B-5', 9],
    ]);

    // the edge: no token 401, a wrong scope 403, no idempotency key 400
    expect((await call(app, 'GET', `/pharmacies/${uid}/stock`)).status).toBe(401);
    expect(
      (await call(app, 'POST', `/pharmacies/${uid}/stock`, { token: TOKENS.reader.token, csv })).status,
    ).toBe(403);
    expect((await call(app, 'POST', '/operations/sku-sync', { token: TOKENS.writer.token })).status).toBe(
      403,
    );
    expect(
      (await call(app, 'POST', `/pharmacies/${uid}/stock`, { token: TOKENS.writer.token, csv, key: false }))
        .status,
    ).toBe(400);
    expect(
      (
        await call(app, 'PUT', `/pharmacies/${uid}/stock/B-1`, {
          token: TOKENS.writer.token,
          body: { on_hand: -2 },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call(app, 'GET', `/pharmacies/${uid}/stock/NOPE`, { token: TOKENS.reader.token })).status,
    ).toBe(404);

    // the operator's routes run the jobs now and answer their summary
    const sync = await call(app, 'POST', '/operations/sku-sync', { token: TOKENS.operator.token });
    expect(sync.status).toBe(200);
    expect(sync.body).toMatchObject({ job: 'sku-sync', ok: true, summary: { pharmacies: 1, listed: 1 } });
    const push = await call(app, 'POST', '/operations/stock-push', { token: TOKENS.operator.token });
    expect(push).toMatchObject({ status: 200, body: { skus: 0, pushes_queued: 0 } });
  });

  it('replays a CSV upload sent again under its key, and refuses another file of the same length (422) under it', async () => {
    const uid = `ph-csv-key-${run}`;
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count: 1, stock: 0 });
    const app = await start({ [uid]: ph.apiKey }, { startJobs: false });
    const ledgerRows = async () => {
      const [row] = await app.dataSource.query<{ n: string }[]>(
        'SELECT count(*) AS n FROM stock_ledger WHERE pharmacy_uid = $1',
        [uid],
      );
      return Number(row!.n);
    };
    const levels = async () =>
      (await call(app, 'GET', `/pharmacies/${uid}/stock`, { token: TOKENS.reader.token })).body.items.map(
        (i) => [i.article_id, i.on_hand],
      );
    const upload = (csv: string, key: string) =>
      call(app, 'POST', `/pharmacies/${uid}/stock`, { token: TOKENS.writer.token, csv, key });

    const first = 'article_id,on_hand\nK-1,5\nK-2,7\n';
    const sameLength = 'article_id,on_hand\nK-1,9\nK-2,1\n';
    expect(Buffer.byteLength(sameLength)).toBe(Buffer.byteLength(first));
    const answer = await upload(first, `csv-key-${run}`);
    expect(answer).toMatchObject({ status: 200, body: { accepted: 2, changed: 2 } });
    const rowsAfterFirst = await ledgerRows();
    expect(rowsAfterFirst).toBe(2);

    // the same file again: the first answer, applied once
    const replay = await upload(first, `csv-key-${run}`);
    expect(replay).toEqual(answer);
    expect(await ledgerRows()).toBe(rowsAfterFirst);

    // another file of the same length under the same key: 422, nothing changed
    const reused = await upload(sameLength, `csv-key-${run}`);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('idempotency_key_reused');
    expect(await levels()).toEqual([
      ['K-1', 5],
      ['K-2', 7],
    ]);
    expect(await ledgerRows()).toBe(rowsAfterFirst);

    // a refused upload (nothing applied) does not hold its key: the corrected file runs under it
    const malformed = await upload('article_id,on_hand\n"K-1,5\n', `csv-fix-${run}`);
    expect(malformed.status).toBe(400);
    const corrected = await upload(sameLength, `csv-fix-${run}`);
    expect(corrected).toMatchObject({ status: 200, body: { accepted: 2, changed: 2 } });
    expect(await levels()).toEqual([
      ['K-1', 9],
      ['K-2', 1],
    ]);
  });

  it('takes in 10,000 lines over HTTP, and 1,000 updates over 10 SKUs end in at most 10 pushes with the final values', async () => {
    const uid = `ph-bulk-${run}`;
    const ph = await sandboxPharmacy(sb, { pharmacyUid: uid, count: 10, stock: 0, externalIds: true });
    // The trailing window is what bounds the pushes: each update moves a SKU's pending push a window later,
    // so a burst whose requests follow each other within the window ends in one push per SKU however long it
    // takes on a loaded machine (one CI run took 11 s); the cap is set far above any burst's length.
    const app = await start(
      { [uid]: ph.apiKey },
      { env: { INVENTORY_PUSH_COALESCE_MS: '4000', INVENTORY_PUSH_MAX_DELAY_MS: '120000' } },
    );
    await waitFor(() => Promise.resolve(app.jobs.skuSync.lastRun), 'the sync at start');
    const lines = Array.from({ length: 10_000 }, (_, i) => `ART-${i},${(i % 50) + 1}`);
    const res = await call(app, 'POST', `/pharmacies/${uid}/stock`, {
      token: TOKENS.writer.token,
      csv: `article_id,on_hand\n${lines.join('\n')}\n`,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      received: 10_000,
      accepted: 10_000,
      changed: 10_000,
      rejected_count: 0,
    });
    const mine = async () =>
      (await stockPushes(sb)).filter((p) => ph.pharmacySkuUids.some((u) => p.path.includes(`/${u}/`))).length;
    for (let i = 0; i < 10; i++)
      await waitFor(async () => (await sandboxStock(sb, ph.pharmacySkuUids[i]!)) === i + 1, `push ${i}`);
    const pushesBefore = await mine();
    expect(pushesBefore).toBe(10);

    // 100 requests of 10 lines: 1,000 updates, 10 requests in flight at a time
    for (let round = 0; round < 100; round += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, k) => {
          const values = ph.pharmacySkuUids.map((_, i) => 100 + (round + k) * 10 + i);
          return call(app, 'POST', `/pharmacies/${uid}/stock`, {
            token: TOKENS.writer.token,
            body: { lines: values.map((v, i) => ({ article_id: `ART-${i}`, on_hand: v })) },
          }).then((r) => expect(r.status).toBe(200));
        }),
      );
    }
    // the last request to arrive is not necessarily round 99: read what the service holds
    const final = await Promise.all(
      ph.pharmacySkuUids.map(async (_, i) => {
        const level = await call(app, 'GET', `/pharmacies/${uid}/stock/ART-${i}`, {
          token: TOKENS.reader.token,
        });
        return level.body.on_hand;
      }),
    );
    for (let i = 0; i < 10; i++)
      await waitFor(async () => (await sandboxStock(sb, ph.pharmacySkuUids[i]!)) === final[i], `final ${i}`, {
        timeoutMs: 20_000,
      });
    expect((await mine()) - pushesBefore).toBeLessThanOrEqual(10);
  });
});
