// @ts-check
// order-service from webhook to `pending review` at the sandbox, and on to `completed` (issue 10):
//  1. limits off: orders created at the sandbox first (not measured), their `pharmacy_order_created` webhooks
//     kept and then produced to Kafka at a steady rate for N s, as the gateway does on receipt; orders/s
//     reaching pending review (confirmed by RxScale) and p50/p99 of the delay from the record's production to
//     its pending review PATCH;
//  2. limits on (sandbox 10/s, the service's own budget): a burst of orders; time until all are pending
//     review against the physical limit (calls needed ÷ 10/s) and 429s seen. A stock-push backlog on the same
//     key is queued just before the burst, from a second budget instance on the same fleet-wide bucket (as
//     inventory-service's replicas would hold it after a large upload): order calls must not wait behind it,
//     so the burst must still finish within 1.15x of its own physical time;
//  3. RxScale calls per order from webhook to completed (a sample driven through stock, ready, shipment).
// The sandbox runs as a process of its own.
// The service is created with createOrderServiceApp (what runs in production); webhooks reach Kafka through a
// receiver using the gateway's buildRxScaleEvent.
// Usage: npm run bench -- order-flow [--short] [--rate=N] [--seconds=N]
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { buildEvent, buildRxScaleEvent, eventRoute, EventSources, Topics } from '@rxbridge/contracts';
import { createOrderServiceApp, loadOrderServiceConfig } from '@rxbridge/order-service';
import { createLogger, mintApiToken, RxscaleSources } from '@rxbridge/service-kit';
import {
  brokers,
  createTopics,
  databaseUrl,
  freePort,
  INVENTED_PATIENT,
  kafkaClient,
} from '@rxbridge/testing';
import pg from 'pg';
import { print429s, report } from './report.mjs';

const short = process.argv.includes('--short');
const sandboxEntry = fileURLToPath(
  import.meta.resolve('@rxbridge/rxscale-sandbox').replace(/index\.js$/, 'main.js'),
);
/** `--rate=N` and `--seconds=N` override the sustained phase (to probe one stage without the full run). */
const option = (/** @type {string} */ name) => {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.split('=')[1]) : undefined;
};
const sustainSeconds = option('seconds') ?? (short ? 10 : 60);
const ratePerSecond = option('rate') ?? (short ? 40 : 220);
const burst = short ? 30 : 200;
const completedSample = short ? 5 : 20;
const stockBacklog = short ? 30 : 300;

const id = randomBytes(4).toString('hex');
const kafka = kafkaClient(`order-flow-bench-${id}`);
const admin = kafka.admin();
await admin.connect();
const existing = await admin.listTopics();
const needed = [
  Topics.rxscalePharmacyOrders.name,
  Topics.pharmacyInventory.name,
  Topics.pharmacyShipments.name,
  Topics.pharmacyOrders.name,
];
await createTopics(
  admin,
  needed.filter((t) => !existing.includes(t)).map((name) => ({ name, partitions: 6 })),
).catch(() => undefined);
const producer = kafka.producer();
await producer.connect();

/** @param {any} sb @param {string} method @param {string} path @param {unknown} [body] */
async function adminCall(sb, method, path, body) {
  const res = await fetch(`${sb.adminUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`admin ${method} ${path}: ${res.status}`);
  return text ? JSON.parse(text) : undefined;
}

/**
 * The sandbox as a process of its own (`dist/main.js`), so that creating thousands of orders and delivering
 * their webhooks does not run on the measured service's event loop.
 * @param {{ limits: boolean }} o
 */
async function startSandboxProcess(o) {
  const port = await freePort();
  const child = spawn(process.execPath, [sandboxEntry], {
    env: {
      PATH: process.env.PATH,
      SANDBOX_PORT: String(port),
      SANDBOX_HOST: '127.0.0.1',
      SANDBOX_RATE_LIMIT: o.limits ? 'on' : 'off',
      SANDBOX_LOG: 'off',
      SANDBOX_WEBHOOK_BASE_DELAY_MS: '50',
      SANDBOX_WEBHOOK_MAX_DELAY_MS: '500',
      SANDBOX_WEBHOOK_TIMEOUT_MS: '5000',
      SANDBOX_WEBHOOK_MAX_ATTEMPTS: '6',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the sandbox exited (${code})`)));
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('listening on')) resolve(undefined);
    });
  });
  child.stdout.resume();
  const url = `http://127.0.0.1:${port}`;
  return {
    adminUrl: `${url}/_admin`,
    apiUrl: () => `${url}/v1/external-pharmacy-api-v1`,
    close: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve(undefined));
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A sandbox, a pharmacy with a key, a webhook receiver, and the service. The receiver produces each webhook
 * to Kafka as the gateway would, or, while `collecting`, keeps its body for the bench to produce later at
 * the rate it chooses.
 */
async function stand(/** @type {{ name: string, limits: boolean }} */ o) {
  const sb = await startSandboxProcess({ limits: o.limits });
  await adminCall(sb, 'PATCH', '/settings', { echoStatusChanges: false });
  const pharmacy = `ph-bench-${o.name}-${id}`;
  await adminCall(sb, 'POST', '/pharmacies', { uid: pharmacy, display_name: 'Bench-Apotheke' });
  const { key } = await adminCall(sb, 'POST', '/api-keys', {
    name: `bench-${o.name}`,
    pharmacy_uid: pharmacy,
    permissions: ['orders_read', 'orders_write', 'stock_write', 'webhooks_write', 'webhooks_read'],
  });
  await adminCall(sb, 'POST', '/skus', {
    uid: `sku-${pharmacy}`,
    display_name: 'Benchpräparat',
    pzn: '12345678',
  });
  await adminCall(sb, 'POST', '/pharmacy-skus', {
    uid: `psku-${pharmacy}`,
    pharmacy_uid: pharmacy,
    sku_uid: `sku-${pharmacy}`,
    price: 100,
    stock: 1_000_000,
  });
  /** @type {Buffer[] | undefined} webhook bodies kept instead of produced */
  let collecting;
  const receiver = createServer((req, res) => {
    /** @type {Buffer[]} */ const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (collecting) {
        collecting.push(Buffer.concat(chunks));
        return void res.writeHead(200).end();
      }
      const built = buildRxScaleEvent({
        rawBody: Buffer.concat(chunks),
        receivedAt: new Date(),
        source: 'bench',
      });
      if (!built.ok) return void res.writeHead(400).end();
      producer
        .send({
          topic: built.topic,
          acks: -1,
          messages: [{ key: built.key, value: JSON.stringify(built.event) }],
        })
        .then(() => res.writeHead(200).end())
        .catch(() => res.writeHead(503).end());
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (receiver.address());
  for (const type of ['pharmacy_order_created', 'pharmacy_order_updated']) {
    const res = await fetch(`${sb.apiUrl()}/webhooks/`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({
        target: `http://127.0.0.1:${address.port}/webhooks/rxscale/default`,
        notification_type: type,
      }),
    });
    if (res.status !== 201) throw new Error(`subscription: ${res.status}`);
  }
  // The subscriptions are calls on the key outside the service's budget (as an operator's `rxbridge webhooks
  // register` is): they count in RxScale's second, so the stand waits that second out before the service
  // calls. Without the wait, 2 of the limits-on stand's first 10 budgeted calls met 429.
  await new Promise((r) => setTimeout(r, 1_100));
  const token = mintApiToken('bench', ['orders:read', 'orders:write']);
  const group = `order-flow-bench-${o.name}-${id}`;
  const config = loadOrderServiceConfig({
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_CLIENT_ID: group,
    HTTP_PORT: '3001',
    HTTP_HOST: '127.0.0.1',
    HTTP_SHUTDOWN_DELAY_MS: '0',
    HTTP_API_TOKENS: JSON.stringify([token.entry]),
    LOG_LEVEL: 'warn',
    // a source (and so a rate-budget bucket) of its own per stand and run: the limits-off stand's calls must
    // not count against the limits-on stand's minute
    RXSCALE_SOURCES: JSON.stringify({
      [`bench-${o.name}-${id}`]: {
        baseUrl: sb.apiUrl(),
        apiKey: key,
        scope: 'pharmacy',
        pharmacies: [pharmacy],
      },
    }),
    PATIENT_DATA_KEYS: JSON.stringify({ bench: randomBytes(32).toString('base64') }),
    KAFKA_GROUP_ID: group,
  });
  const schema = `orders_bench_${o.name}_${id}`;
  const service = await createOrderServiceApp(
    config,
    createLogger({ service: 'order-service', level: 'warn' }),
    {
      schema,
      startJobs: false,
      fromBeginning: false,
      ...(o.limits ? {} : { rateLimits: { perSecond: 100_000, perMinute: 6_000_000 } }),
      relayPollIntervalMs: 200,
    },
  );
  await service.app.listen(0, '127.0.0.1');
  const url = (await service.app.getUrl()).replace('[::1]', '127.0.0.1');
  // a group without offsets starts at the end: wait until it holds its partitions before producing
  for (let i = 0; i < 300; i++) {
    const [g] = (await admin.describeGroups([group])).groups;
    if (g?.state === 'Stable' && g.members.length > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const landedAtStart = (await admin.fetchTopicOffsets(Topics.rxscalePharmacyOrders.name)).reduce(
    (n, o) => n + Number(o.high),
    0,
  );
  let seq = 0;
  return {
    sb,
    config,
    pharmacy,
    url,
    token: token.token,
    /**
     * Creates `n` orders at the sandbox and keeps their `pharmacy_order_created` webhooks instead of producing
     * them (not measured). @param {number} n @returns {Promise<Buffer[]>}
     */
    async prepare(n) {
      collecting = [];
      const kept = collecting;
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < n) {
            next++;
            await this.create();
          }
        }),
      );
      const deadline = Date.now() + 10 * 60_000;
      while (kept.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      collecting = undefined;
      return kept;
    },
    async create() {
      const uid = `po-${o.name}-${id}-${++seq}`;
      const t0 = Date.now();
      await adminCall(sb, 'POST', '/orders', {
        uid,
        pharmacy_uid: pharmacy,
        items: [{ pharmacy_sku_uid: `psku-${pharmacy}`, amount: 1 }],
        patient: {
          first_name: INVENTED_PATIENT.firstName,
          last_name: INVENTED_PATIENT.lastName,
          email: INVENTED_PATIENT.email,
        },
        delivery_address: {
          street: INVENTED_PATIENT.address.street,
          house_number: '0',
          zip_code: INVENTED_PATIENT.address.zipCode,
          city: INVENTED_PATIENT.address.city,
        },
      });
      return { uid, t0 };
    },
    /**
     * Where the orders are in the pipeline: webhooks landed on Kafka (since the stand started), orders
     * stored, status commands queued and done.
     */
    async stages() {
      const ends = await admin.fetchTopicOffsets(Topics.rxscalePharmacyOrders.name);
      const landed = ends.reduce((n, o) => n + Number(o.high), 0) - landedAtStart;
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query(
          `SELECT (SELECT count(*) FROM "${schema}".orders)::int AS stored,
                  (SELECT count(*) FROM "${schema}".rxscale_command WHERE status = 'pending')::int AS pending,
                  (SELECT count(*) FROM "${schema}".rxscale_command WHERE status <> 'pending')::int AS done`,
        );
        return { landed, ...rows[0] };
      } finally {
        await client.end();
      }
    },
    /** @returns {Promise<any[]>} */
    async requests() {
      return (await adminCall(sb, 'GET', '/requests?limit=100000')).entries;
    },
    async close() {
      await service.app.close();
      await new Promise((r) => receiver.close(() => r(undefined)));
      await sb.close();
      await admin.deleteGroups([group]).catch(() => undefined);
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

/** uid → time of its first 2xx PATCH …/status (pending review, the first status change). */
function pendingReviewAt(/** @type {any[]} */ entries) {
  const at = new Map();
  for (const e of entries)
    if (e.method === 'PATCH' && e.endpoint?.endsWith('/status') && e.status < 300) {
      const uid = e.path.split('/').at(-2);
      if (!at.has(uid)) at.set(uid, Date.parse(e.at));
    }
  return at;
}

async function untilAll(/** @type {() => Promise<boolean>} */ check, /** @type {number} */ timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const pct = (/** @type {number[]} */ xs, /** @type {number} */ p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

const figures = {};

console.error('[order-flow] stand off ready');
// 1. limits off, sustained: the webhooks are produced to Kafka at the offered rate, as the gateway would
const off = await stand({ name: 'off', limits: false });
{
  const total = Math.round(sustainSeconds * ratePerSecond);
  console.error(`[order-flow] preparing ${total} orders at the sandbox (not measured)`);
  const bodies = await off.prepare(total);
  console.error(`[order-flow] ${bodies.length} webhooks kept; producing them at ${ratePerSecond}/s`);
  /** @type {{ uid: string, t0: number }[]} */ const created = [];
  const start = Date.now();
  // every 5 s: how far each stage got (stderr), to see which one holds the flow back
  const sampler = setInterval(() => {
    void off
      .stages()
      .then((st) =>
        console.error(
          `[order-flow] t=${Math.round((Date.now() - start) / 1000)}s produced=${created.length} ${JSON.stringify(st)}`,
        ),
      );
  }, 5_000);
  // a tick every 10 ms sends what is due in one request, as the gateway's batching producer does
  for (let sent = 0; sent < bodies.length;) {
    const due = Math.min(bodies.length, Math.floor(((Date.now() - start) / 1000) * ratePerSecond) + 1);
    if (due > sent) {
      const t0 = Date.now();
      const batch = bodies.slice(sent, due).map((rawBody) => {
        const built = buildRxScaleEvent({ rawBody, receivedAt: new Date(t0), source: 'bench' });
        if (!built.ok) throw new Error('a kept webhook does not build');
        created.push({ uid: String(built.key), t0 });
        return { topic: built.topic, key: built.key, value: JSON.stringify(built.event) };
      });
      await producer.send({
        topic: batch[0].topic,
        acks: -1,
        messages: batch.map(({ key, value }) => ({ key, value })),
      });
      sent = due;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  clearInterval(sampler);
  figures.stagesAtEndOfLoad = await off.stages();
  let at = new Map();
  await untilAll(async () => {
    at = pendingReviewAt(await off.requests());
    return created.every((c) => at.has(c.uid));
  }, 120_000);
  const delays = created.filter((c) => at.has(c.uid)).map((c) => at.get(c.uid) - c.t0);
  const last = Math.max(...created.map((c) => at.get(c.uid) ?? NaN));
  figures.sustainedOrders = created.length;
  figures.sustainedReached = delays.length;
  figures.producedPerSecond =
    Math.round((created.length / ((Math.max(...created.map((c) => c.t0)) - start) / 1000)) * 10) / 10;
  figures.pendingReviewPerSecond = Math.round((delays.length / ((last - start) / 1000)) * 10) / 10;
  figures.p50DelayMs = pct(delays, 50);
  figures.p99DelayMs = pct(delays, 99);
}

// 3. calls per order to completed (a sample, on the same stand)
{
  const sample = [];
  for (let i = 0; i < completedSample; i++) sample.push((await off.create()).uid);
  await untilAll(async () => {
    const at = pendingReviewAt(await off.requests());
    return sample.every((uid) => at.has(uid));
  }, 60_000);
  const send = async (/** @type {any} */ type, /** @type {any} */ data) => {
    const event = buildEvent(type, data, { source: EventSources.inventoryService });
    const { topic, key } = eventRoute(event);
    await producer.send({ topic, acks: -1, messages: [{ key, value: JSON.stringify(event) }] });
  };
  const now = () => new Date().toISOString();
  for (const uid of sample)
    await send('pharmacy.stock.reserved', {
      pharmacy_uid: off.pharmacy,
      pharmacy_order_uid: uid,
      lines: [{ pharmacy_sku_uid: `psku-${off.pharmacy}`, pzn: null, quantity: 1 }],
      reserved_at: now(),
    });
  const status = async (/** @type {string} */ uid) =>
    (await adminCall(off.sb, 'GET', `/orders/${uid}`)).status;
  await untilAll(
    async () => (await Promise.all(sample.map(status))).every((s) => s === 'in-progress'),
    60_000,
  );
  for (const uid of sample)
    await fetch(`${off.url}/orders/${uid}/ready`, {
      method: 'POST',
      headers: { authorization: `Bearer ${off.token}`, 'idempotency-key': `ready-${uid}` },
    });
  await untilAll(
    async () => (await Promise.all(sample.map(status))).every((s) => s === 'ready_for_pickup'),
    60_000,
  );
  for (const uid of sample)
    await send('pharmacy.shipment.dispatched', {
      pharmacy_uid: off.pharmacy,
      pharmacy_order_uid: uid,
      shipment_uid: `shp-${uid}`,
      carrier: 'DHL',
      tracking_number: `T${uid.length}`,
      tracking_url: null,
      dispatched_at: now(),
    });
  const done = await untilAll(
    async () => (await Promise.all(sample.map(status))).every((s) => s === 'completed'),
    60_000,
  );
  const entries = await off.requests();
  const calls = sample.map((uid) => entries.filter((e) => e.path.includes(`/${uid}`)).length);
  figures.completedSample = done ? sample.length : 0;
  figures.maxCallsPerOrder = Math.max(...calls);
  figures.meanCallsPerOrder = calls.reduce((a, b) => a + b, 0) / calls.length;
}
console.error('[order-flow] sustained and completed done', JSON.stringify(figures));
await off.close();

console.error('[order-flow] stand on starting');
// 2. limits on, a burst
const on = await stand({ name: 'on', limits: true });
{
  // the backlog: its own budget instance on the order-service's bucket, all pushes queued at once
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const pusher = await RxscaleSources.create(on.config.rxscale, { pool });
  const stockClient = pusher.clientFor(on.pharmacy);
  const pushes = Array.from({ length: stockBacklog }, (_, i) =>
    stockClient.updatePharmacySkuStock(`psku-${on.pharmacy}`, 1_000_000 - i).then(
      () => Date.now(),
      () => NaN,
    ),
  );
  // let the backlog hold the budget before the orders arrive
  await new Promise((r) => setTimeout(r, 1_000));
  const start = Date.now();
  const created = await Promise.all(Array.from({ length: burst }, () => on.create()));
  let at = new Map();
  await untilAll(
    async () => {
      at = pendingReviewAt(await on.requests());
      return created.every((c) => at.has(c.uid));
    },
    short ? 60_000 : 10 * 60_000,
  );
  const entries = await on.requests();
  figures.burstReached = created.filter((c) => at.has(c.uid)).length;
  figures.burstRxscaleCalls = entries.filter((e) => e.path.includes('/pharmacy_orders/')).length;
  const elapsed = (Math.max(...created.map((c) => at.get(c.uid) ?? NaN)) - start) / 1000;
  // per order: the detail GET and the pending review PATCH
  const physical = (2 * burst) / 10;
  figures.burstOrders = burst;
  figures.burstSeconds = Math.round(elapsed * 10) / 10;
  figures.burstPhysicalSeconds = physical;
  figures.burstVsPhysical = Math.round((elapsed / physical) * 100) / 100;
  figures.burst429s = entries.filter((e) => e.status === 429).length;
  print429s('order-flow', entries);
  const burstEnd = start + elapsed * 1000;
  const stockCalls = entries.filter((e) => e.method === 'PATCH' && e.endpoint?.endsWith('/stock'));
  const during = (/** @type {any} */ e) => Date.parse(e.at) >= start && Date.parse(e.at) <= burstEnd;
  figures.stockBacklog = stockBacklog;
  figures.stockPushesDuringBurst = stockCalls.filter(during).length;
  figures.orderCallsDuringBurst = entries.filter(
    (e) => during(e) && e.path.includes('/pharmacy_orders/') && e.status < 300,
  ).length;
  const pushedAt = await Promise.all(pushes);
  figures.stockPushesDone = pushedAt.filter((t) => !Number.isNaN(t)).length;
  figures.stockBacklogDrainedSeconds = Math.round((Math.max(...pushedAt) - start) / 100) / 10;
  await pusher.close();
  await pool.end();
}
await on.close();
await producer.disconnect();
await admin.disconnect();

const met = report(
  'order-flow',
  figures,
  {
    sustained: { figure: 'pendingReviewPerSecond', atLeast: 200 },
    allReached: { figure: 'sustainedReached', atLeast: figures.sustainedOrders },
    burst: { figure: 'burstVsPhysical', atMost: 1.15 },
    no429: { figure: 'burst429s', atMost: 0 },
    burstAllReached: { figure: 'burstReached', atLeast: burst },
    callsPerOrder: { figure: 'maxCallsPerOrder', atMost: 5 },
    completed: { figure: 'completedSample', atLeast: completedSample },
    stockBacklogDrained: { figure: 'stockPushesDone', atLeast: stockBacklog },
  },
  {
    short,
    sustainSeconds,
    ratePerSecond,
    burst,
    completedSample,
    stockBacklog,
    note: 'burst measured with a stock-push backlog queued on the same bucket 1 s before it',
  },
);
process.exitCode = met ? 0 : 1;
