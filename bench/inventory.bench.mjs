// @ts-check
// inventory-service as it runs (createInventoryServiceApp, real PostgreSQL, Kafka and a sandbox over HTTP):
//  1. one CSV upload of 100,000 lines over 20,000 SKUs (the first upload: it also maps the 20,000 waiting
//     SKUs and queues their pushes): wall time of the request and the process's peak RSS;
//  2. pushes per changed SKU after a burst of repeated updates (20 SKUs, 20 levels each, inside the
//     coalescing window);
//  3. (not with --short) 1,000 changed SKUs converging at a rate-limited sandbox, over the physical limit
//     (1,000 calls at 10/s and 600/min = 100 s), RxScale's 429s, and the longest of 5 order-status calls
//     made meanwhile by another client on the same key's budget (they must go first: about one token).
// `node bench/inventory.bench.mjs [lines] [skus]`, or `npm run bench -- inventory`; `--short` = 20,000 / 4,000.
import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Topics } from '@rxbridge/contracts';
import { startSandbox } from '@rxbridge/rxscale-sandbox';
import { PostgresRateBudget, RxScaleClient } from '@rxbridge/rxscale-client';
import {
  createKafkaClient,
  createLogger,
  mintApiToken,
  rxscaleBudgetBucket,
  silentLogger,
} from '@rxbridge/service-kit';
import { brokers, createTopics, databaseUrl } from '@rxbridge/testing';
import { createInventoryServiceApp, loadInventoryServiceConfig } from '@rxbridge/inventory-service';
import { report } from './report.mjs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
const args = process.argv.slice(2).filter((a) => a !== '--short');
const short = process.argv.includes('--short');
const lines = Number(args[0] ?? (short ? 20_000 : 100_000));
const skus = Number(args[1] ?? (short ? 4_000 : 20_000));
const id = randomBytes(4).toString('hex');
const schema = `bench_inventory_${id}`;
const pharmacy = `ph-bench-${id}`;
const token = mintApiToken('bench', ['stock:write', 'stock:read']);

const sb = await startSandbox({ port: 0, rateLimit: false });
/** @param {string} method @param {string} path @param {unknown} [body] */
async function admin(method, path, body) {
  const res = await fetch(`${sb.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`admin ${method} ${path}: ${res.status}`);
  const text = await res.text();
  return text === '' ? undefined : JSON.parse(text);
}
await admin('POST', '/pharmacies', { uid: pharmacy, display_name: 'Benchapotheke' });
const { key } = await admin('POST', '/api-keys', {
  name: `key-${id}`,
  pharmacy_uid: pharmacy,
  permissions: ['orders_read', 'orders_write', 'stock_read', 'stock_write', 'pharmacy_sku_write'],
});
const kafka = createKafkaClient({ clientId: 'bench-inventory', brokers, logger: silentLogger });
const kadmin = kafka.admin();
await kadmin.connect();
await createTopics(
  kadmin,
  [
    Topics.pharmacyOrders.name,
    Topics.rxscalePharmacySkus.name,
    Topics.pharmacyInventory.name,
    `bench-inventory-${id}.dlq`,
  ].map((name) => ({ name, partitions: 3 })),
);
await kadmin.disconnect();

const config = loadInventoryServiceConfig({
  DATABASE_URL: databaseUrl,
  KAFKA_BROKERS: brokers.join(','),
  KAFKA_GROUP_ID: `bench-inventory-${id}`,
  HTTP_API_TOKENS: JSON.stringify([token.entry]),
  HTTP_SHUTDOWN_DELAY_MS: '0',
  RXSCALE_SOURCES: JSON.stringify({
    [`bench-${id}`]: { baseUrl: sb.url, apiKey: key, scope: 'pharmacy', pharmacies: [pharmacy] },
  }),
  INVENTORY_UPLOAD_MAX_BYTES: String(64 * 1024 * 1024),
});
const built = await createInventoryServiceApp(config, createLogger({ service: 'bench', level: 'silent' }), {
  schema,
  startJobs: false,
});
await built.app.startAllMicroservices();
await built.app.listen(0, '127.0.0.1');
const url = (await built.app.getUrl()).replace('[::1]', '127.0.0.1');
const ds = built.dataSource;

/** @type {Record<string, number>} */
const figures = {};

/**
 * A fresh pharmacy and key on a rate-limited sandbox, `n` SKUs there and mapped here, one upload changing
 * all of them; the time until the relay has pushed every one, over the physical limit (n calls at 10/s and
 * 600/min: 600 in the first minute, then 10/s). Also counts RxScale's 429s (target 0).
 * @param {import('@rxbridge/rxscale-sandbox').RunningSandbox} limited
 * @param {number} n
 */
async function convergeUnderLimits(limited, n) {
  /** @param {string} method @param {string} path @param {unknown} [body] */
  const adm = async (method, path, body) => {
    const res = await fetch(`${limited.adminUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`admin ${method} ${path}: ${res.status}`);
    const text = await res.text();
    return text === '' ? undefined : JSON.parse(text);
  };
  const ph = `ph-limits-${id}`;
  await adm('POST', '/pharmacies', { uid: ph, display_name: 'Limitapotheke' });
  const { key: limitedKey } = await adm('POST', '/api-keys', {
    name: `key-limits-${id}`,
    pharmacy_uid: ph,
    permissions: ['orders_read', 'orders_write', 'stock_read', 'stock_write', 'pharmacy_sku_write'],
  });
  const uids = [];
  for (let i = 0; i < n; i++) {
    await adm('POST', '/skus', {
      uid: `lsku-${id}-${i}`,
      display_name: `Limitpräparat ${i}`,
      pzn: String(40_000_000 + i),
    });
    const p = await adm('POST', '/pharmacy-skus', {
      uid: `lpsku-${id}-${i}`,
      pharmacy_uid: ph,
      sku_uid: `lsku-${id}-${i}`,
      price: 1000,
      stock: 0,
      external_id: `LART-${i}`,
    });
    uids.push(p.uid);
  }
  const lschema = `bench_inventory_l_${id}`;
  const lconfig = loadInventoryServiceConfig({
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_GROUP_ID: `bench-inventory-l-${id}`,
    HTTP_API_TOKENS: JSON.stringify([token.entry]),
    HTTP_SHUTDOWN_DELAY_MS: '0',
    RXSCALE_SOURCES: JSON.stringify({
      [`bench-l-${id}`]: { baseUrl: limited.url, apiKey: limitedKey, scope: 'pharmacy', pharmacies: [ph] },
    }),
  });
  const lapp = await createInventoryServiceApp(lconfig, createLogger({ service: 'bench', level: 'silent' }), {
    schema: lschema,
    startJobs: false,
  });
  try {
    await lapp.app.startAllMicroservices();
    await lapp.app.listen(0, '127.0.0.1');
    const lurl = (await lapp.app.getUrl()).replace('[::1]', '127.0.0.1');
    await lapp.dataSource.query(
      `INSERT INTO pharmacy_sku (pharmacy_sku_uid, pharmacy_uid, sku_uid, external_id, rxscale_stock, synced_at)
       SELECT u, $1, 'sku-' || u, 'LART-' || (n - 1), 0, now() FROM unnest($2::text[]) WITH ORDINALITY AS t(u, n)`,
      [ph, uids],
    );
    const started = performance.now();
    const res = await fetch(`${lurl}/pharmacies/${ph}/stock`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token.token}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({ lines: uids.map((_, i) => ({ article_id: `LART-${i}`, on_hand: 5 })) }),
    });
    if (res.status !== 200) throw new Error(`upload answered ${res.status}`);
    // Meanwhile another process's order-status calls on the same key (the same budget bucket): each must
    // jump the queue of pushes (priority order-status before stock-push), so it waits about one token.
    const budget = await PostgresRateBudget.create({
      connectionString: databaseUrl,
      bucket: rxscaleBudgetBucket(`bench-l-${id}`),
    });
    const orders = new RxScaleClient({
      baseUrl: limited.url,
      apiKey: limitedKey,
      keyScope: 'pharmacy',
      pharmacyUid: ph,
      budget,
    });
    /** @type {number[]} */
    const orderWaits = [];
    const orderCalls = (async () => {
      await new Promise((r) => setTimeout(r, 20_000));
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        // an order the sandbox does not have: a 404 after taking an order-status token, which is what counts
        await orders.getPharmacyOrder(`po-missing-${id}-${i}`, { pharmacyUid: ph }).catch(() => undefined);
        orderWaits.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 3_000));
      }
    })();
    for (;;) {
      const [row] = await lapp.dataSource.query(
        `SELECT count(*)::int AS n FROM rxscale_command WHERE status = 'pending' AND kind = 'sku.stock'`,
      );
      if (row.n === 0) break;
      if (performance.now() - started > 300_000)
        throw new Error('1,000 pushes did not converge within 300 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - started) / 1000;
    await orderCalls;
    await orders.close();
    await budget.close();
    figures.orderStatusMaxMsDuringPushes = orderWaits.length === 5 ? Math.max(...orderWaits) : NaN;
    const log = await adm('GET', '/requests?limit=100000');
    const stockCalls = log.entries.filter(
      (/** @type {{endpoint: string|null}} */ e) => e.endpoint === 'PATCH /pharmacy_skus/{uid}/stock',
    );
    figures.convergeSeconds = seconds;
    figures.convergeCalls = stockCalls.length;
    figures.rateLimited429 = stockCalls.filter(
      (/** @type {{status: number}} */ e) => e.status === 429,
    ).length;
    const wrong = (
      await Promise.all(uids.slice(0, 50).map(async (u) => (await adm('GET', `/pharmacy-skus/${u}`)).stock))
    ).filter((v) => v !== 5).length;
    figures.convergeWrongValuesOfFirst50 = wrong;
    const physical = n <= 600 ? n / 10 : 60 + (n - 600) / 10;
    return seconds / physical;
  } finally {
    await lapp.app.close();
    await lapp.dataSource.query(`DROP SCHEMA IF EXISTS "${lschema}" CASCADE`).catch(() => undefined);
  }
}
try {
  // 1. RxScale's SKUs as a sync left them (unmapped: no article yet), written directly: creating 20,000 at
  //    the sandbox one call at a time would take minutes and measures nothing of ours.
  const uids = Array.from({ length: skus }, (_, i) => `psku-${id}-${i}`);
  await ds.query(
    `INSERT INTO pharmacy_sku (pharmacy_sku_uid, pharmacy_uid, sku_uid, external_id, rxscale_stock, synced_at)
     SELECT u, $1, 'sku-' || u, 'ART-' || n, 0, now() FROM unnest($2::text[]) WITH ORDINALITY AS t(u, n)`,
    [pharmacy, uids],
  );
  // ART-1..ART-skus (WITH ORDINALITY is 1-based); each line names one of them, repeated lines/skus times
  const csv = Readable.from(
    (function* () {
      yield 'article_id,on_hand\n';
      let chunk = '';
      for (let i = 0; i < lines; i++) {
        chunk += `ART-${(i % skus) + 1},${(i * 7) % 100}\n`;
        if (chunk.length > 64 * 1024) {
          yield chunk;
          chunk = '';
        }
      }
      yield chunk;
    })(),
  );
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const started = performance.now();
  const res = await fetch(`${url}/pharmacies/${pharmacy}/stock`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token.token}`,
      'content-type': 'text/csv',
      'idempotency-key': randomUUID(),
    },
    body: /** @type {any} */ (Readable.toWeb(csv)),
    duplex: 'half',
  });
  const answer = await res.json();
  figures.ingestSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  figures.peakRssMiB = Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20;
  figures.rssBeforeMiB = rssBefore / 2 ** 20;
  figures.ingestStatus = res.status;
  figures.accepted = answer.accepted ?? -1;
  figures.skusMapped = answer.skus_mapped ?? -1;
  figures.pushesQueued = answer.pushes_queued ?? -1;
  // the pushes of those SKUs go nowhere (they are not at the sandbox): drop them before part 2
  await ds.query(`DELETE FROM rxscale_command WHERE pharmacy_uid = $1`, [pharmacy]);

  // 2. pushes per changed SKU after a burst: 20 real sandbox SKUs, 20 levels each within the window
  const burstPharmacy = pharmacy; // same key
  const burstSkus = [];
  for (let i = 0; i < 20; i++) {
    await admin('POST', '/skus', {
      uid: `bsku-${id}-${i}`,
      display_name: `Benchpräparat ${i}`,
      pzn: String(30_000_000 + i),
    });
    const p = await admin('POST', '/pharmacy-skus', {
      uid: `bpsku-${id}-${i}`,
      pharmacy_uid: burstPharmacy,
      sku_uid: `bsku-${id}-${i}`,
      price: 1000,
      stock: 0,
      external_id: `BART-${i}`,
    });
    burstSkus.push(p.uid);
  }
  await ds.query(
    `INSERT INTO pharmacy_sku (pharmacy_sku_uid, pharmacy_uid, sku_uid, external_id, rxscale_stock, synced_at)
     SELECT u, $1, 'sku-' || u, 'BART-' || (n - 1), 0, now() FROM unnest($2::text[]) WITH ORDINALITY AS t(u, n)`,
    [burstPharmacy, burstSkus],
  );
  const post = (/** @type {unknown} */ body) =>
    fetch(`${url}/pharmacies/${burstPharmacy}/stock`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token.token}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify(body),
    }).then((r) => r.text());
  const burstStarted = performance.now();
  for (let round = 1; round <= 20; round++)
    await post({ lines: burstSkus.map((_, i) => ({ article_id: `BART-${i}`, on_hand: round * 10 + i })) });
  // the window (INVENTORY_PUSH_COALESCE_MS, 1000) bounds the pushes only for a burst shorter than it
  figures.burstSeconds = (performance.now() - burstStarted) / 1000;
  const final = burstSkus.map((_, i) => 200 + i);
  const until = Date.now() + 60_000;
  for (;;) {
    const stocks = await Promise.all(
      burstSkus.map(async (u) => (await admin('GET', `/pharmacy-skus/${u}`)).stock),
    );
    if (stocks.every((s, i) => s === final[i])) break;
    if (Date.now() > until) throw new Error('the burst did not converge within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const log = await admin('GET', '/requests?limit=100000');
  const pushes = log.entries.filter(
    (/** @type {{endpoint: string|null, path: string}} */ e) =>
      e.endpoint === 'PATCH /pharmacy_skus/{uid}/stock' && burstSkus.some((u) => e.path.includes(`/${u}/`)),
  ).length;
  figures.pushesPerChangedSku = pushes / burstSkus.length;
  if (!short) {
    // 3. under RxScale's limits (10/s, 600/min per key, sandbox and budget alike): 1,000 changed SKUs
    const limited = await startSandbox({ port: 0, rateLimit: true });
    try {
      figures.convergeRatioToPhysicalLimit = await convergeUnderLimits(limited, 1_000);
    } finally {
      await limited.close();
    }
  }
} finally {
  await built.app.close();
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
  await sb.close();
}

report(
  'inventory',
  figures,
  {
    ingestTime: { figure: 'ingestSeconds', atMost: 10 },
    ingestMemory: { figure: 'peakRssMiB', atMost: 300 },
    ingestAccepted: { figure: 'accepted', atLeast: lines },
    coalescing: { figure: 'pushesPerChangedSku', atMost: 1 },
    convergeUnderLimits: { figure: 'convergeRatioToPhysicalLimit', atMost: 1.15 },
    no429: { figure: 'rateLimited429', atMost: 0 },
    orderStatusFirst: { figure: 'orderStatusMaxMsDuringPushes', atMost: 1000 },
  },
  { lines, skus, short, note: 'peak RSS is the whole process: service, sandbox and this generator' },
);
process.exit(0);
