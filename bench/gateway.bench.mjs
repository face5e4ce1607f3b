// @ts-check
// The gateway under load: signed pharmacy_order_created webhooks (~3 KiB, invented) from autocannon on
// 127.0.0.1 against the gateway with the real broker, and in the same run against a bare node:http server
// that only verifies the signature (the ceiling on this machine). For both: sustained requests per second,
// p50/p99 at a fixed 1,000 requests per second, errors and RSS; afterwards every 200 is looked up on the topic.
//   npm run bench -- gateway [sustainedSeconds] [fixedRateSeconds]
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Topics } from '@rxbridge/contracts';
import { createKafkaClient, provisionTopics, silentLogger } from '@rxbridge/service-kit';
import { report } from './report.mjs';
import { brokers as testBrokers } from '@rxbridge/testing';

const here = dirname(fileURLToPath(import.meta.url));
const brokers = testBrokers.join(',');
const sustainedSeconds = Number(process.argv[2] ?? 12);
const fixedSeconds = Number(process.argv[3] ?? 10);
const fixedRate = 1000;
const connections = 64;
const secret = `whsec_bench_${randomBytes(12).toString('hex')}`;
const run = randomBytes(4).toString('hex');
const topic = Topics.rxscalePharmacyOrders.name;

// One invented order of about 3 KiB; only the uid changes per request (string replace, no JSON work).
const template = JSON.stringify({
  event_type: 'pharmacy_order_created',
  timestamp: Math.floor(Date.now() / 1000),
  payload_version: '1',
  data: {
    uid: '__UID__',
    status: 'waiting for pharmacy',
    name: 'PO-BNCH-2LMC-83VD',
    data: {},
    external_status: 'OPEN',
    created_at: 1736330000,
    updated_at: 1736330950,
    deleted_at: null,
    pharmacy: { uid: 'ph-bench01', display_name: 'Apotheke am Beispielplatz' },
    order: {
      uid: 'ord-bench-__UID__',
      delivery_address: {
        first_name: 'Erika',
        last_name: 'Musterfrau',
        street: 'Beispielweg',
        house_number: '12b',
        zip_code: '04107',
        city: 'Leipzig',
        country: 'Germany',
        additional_address: '3. OG links',
      },
      invoice_address: {
        first_name: 'Erika',
        last_name: 'Musterfrau',
        street: 'Beispielweg',
        house_number: '12b',
        zip_code: '04107',
        city: 'Leipzig',
        country: 'Germany',
        additional_address: null,
      },
      shipping_costs_amount: 690,
      shipping_costs_currency: 'EUR',
      priority: 1,
    },
    delivery_type: { uid: 'dt-standard', display_name: 'Standardversand', identifier: 'standard' },
    order_items: Array.from({ length: 6 }, (_, i) => ({
      uid: `oi-bench-${i}`,
      amount: 1 + (i % 3),
      total_paid_amount: 1299 + i * 250,
      sku: {
        uid: `sku-bench-${i}`,
        pzn: `0${1234560 + i}`,
        product_uid: `prod-bench-${i}`,
        product_display_name: `Beispielpräparat ${i} 10 mg Filmtabletten`,
        product_handle: `beispielpraeparat-${i}-10-mg`,
      },
      pharmacy_sku: {
        uid: `psku-bench-${i}`,
        external_id: `ART-${4711 + i}`,
        price: 1299 + i * 250,
        stock: 40 - i,
      },
    })),
    patient_data: {
      uid: 'pat-bench',
      display_name: 'Erika Musterfrau',
      email: 'erika.musterfrau@example.invalid',
      date_of_birth: '1970-01-01',
    },
  },
});

let seq = 0;
/** @param {'gateway' | 'ceiling'} target @param {Set<string>} accepted @param {number} rate */
function load(target, url, duration, rate, accepted) {
  return autocannon({
    url,
    connections: rate ? 20 : connections,
    duration,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: 'POST',
        path: '/webhooks/rxscale',
        setupRequest: (req, context) => {
          const uid = `po-${target}-${run}-${++seq}`;
          const body = template.replaceAll('__UID__', uid);
          context.uid = uid;
          return {
            ...req,
            body,
            headers: {
              'content-type': 'application/json',
              'x-webhook-event': 'pharmacy_order_created',
              'x-webhook-signature': createHmac('sha256', secret).update(body).digest('hex'),
            },
          };
        },
        onResponse: (status, _body, context) => {
          if (status === 200) accepted.add(String(context.uid));
        },
      },
    ],
  });
}

/** @param {string[]} args @param {Record<string, string>} env @param {RegExp} ready */
function startChild(args, env, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (/** @type {Buffer} */ d) => {
      out += d.toString();
      if (ready.test(out)) resolve(child);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${args[0]} exited (${code}) before it was ready:\n${out}`)),
    );
  });
}

/** Peak resident set of a child, MiB (VmHWM). @param {number} pid */
function peakRssMiB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** @param {import('node:child_process').ChildProcess} child */
async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU seconds (user + system) a process has used so far; NaN when it cannot be read. @param {number | undefined} pid */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100 on Linux)
  } catch {
    return NaN;
  }
}

/** The local broker's pid (a `kafka.Kafka` JVM), to show what each request costs it. */
function brokerPid() {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('kafka.Kafka')) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/**
 * The sustained phase with the CPU each process spent per request (µs): the server, the load generator
 * (this process) and the broker. Shows where the two cores go; counts nothing the targets use.
 * @param {() => Promise<autocannon.Result>} run @param {number | undefined} serverPid
 */
async function sustainedWithCpu(run, serverPid) {
  const broker = brokerPid();
  const before = { server: cpuSeconds(serverPid), broker: cpuSeconds(broker), load: process.cpuUsage() };
  const result = await run();
  const n = result.requests.total || NaN;
  const load = process.cpuUsage(before.load);
  return {
    result,
    serverUs: Math.round(((cpuSeconds(serverPid) - before.server) * 1e6) / n),
    brokerUs: Math.round(((cpuSeconds(broker) - before.broker) * 1e6) / n),
    loadUs: Math.round((load.user + load.system) / n),
  };
}

/** Produce calls and records so far, from the gateway's /metrics text. @param {string} metrics */
function batchFigures(metrics) {
  return {
    count: Number(/rxbridge_gateway_produce_batch_size_count(?:\{[^}]*\})? (\d+)/.exec(metrics)?.[1] ?? NaN),
    sum: Number(/rxbridge_gateway_produce_batch_size_sum(?:\{[^}]*\})? (\d+)/.exec(metrics)?.[1] ?? NaN),
  };
}

/** @param {autocannon.Result} r */
const errorsOf = (r) => r.errors + r.timeouts + r.non2xx;

const kafka = createKafkaClient({
  clientId: 'bench-gateway',
  brokers: brokers.split(','),
  logger: silentLogger,
});
const admin = kafka.admin();
await admin.connect();
await provisionTopics(admin, [
  Topics.rxscalePharmacyOrders,
  Topics.rxscalePharmacySkus,
  Topics.rxscaleUnrecognized,
]);
const startOffsets = await admin.fetchTopicOffsets(topic);

// Ceiling first: the bare verifier.
const ceiling = /** @type {import('node:child_process').ChildProcess} */ (
  await startChild(
    [join(here, 'gateway-ceiling-server.mjs')],
    { CEILING_SECRET: secret, CEILING_PORT: '3951' },
    /listening/,
  )
);
const ceilingUrl = 'http://127.0.0.1:3951';
const ignored = new Set();
await load('ceiling', ceilingUrl, 2, 0, ignored);
const ceilingCpu = await sustainedWithCpu(
  () => load('ceiling', ceilingUrl, sustainedSeconds, 0, ignored),
  ceiling.pid,
);
const ceilingMax = ceilingCpu.result;
const ceilingFixed = await load('ceiling', ceilingUrl, fixedSeconds, fixedRate, ignored);
const ceilingRss = peakRssMiB(/** @type {number} */ (ceiling.pid));
await stop(ceiling);

// Then the gateway, with the real broker.
const gatewayMain = join(here, '..', 'apps', 'gateway', 'dist', 'main.js');
// BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the gateway under this load.
const gatewayNodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
const gateway = spawn(process.execPath, [...gatewayNodeArgs, gatewayMain], {
  env: {
    ...process.env,
    HTTP_PORT: '3952',
    HTTP_HOST: '127.0.0.1',
    KAFKA_BROKERS: brokers,
    LOG_LEVEL: 'warn',
    GATEWAY_WEBHOOK_SECRETS: JSON.stringify({ default: { pharmacy_order_created: [secret] } }),
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const gatewayUrl = 'http://127.0.0.1:3952';
for (let i = 0; ; i++) {
  if (gateway.exitCode !== null) throw new Error(`the gateway exited (${gateway.exitCode})`);
  if (
    await fetch(`${gatewayUrl}/health/ready`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break;
  if (i > 300) throw new Error('the gateway did not become ready within 30 s');
  await new Promise((r) => setTimeout(r, 100));
}
const accepted = new Set();
await load('gateway', gatewayUrl, 2, 0, accepted);
const batchesBefore = batchFigures(await (await fetch(`${gatewayUrl}/metrics`)).text());
const gatewayCpu = await sustainedWithCpu(
  () => load('gateway', gatewayUrl, sustainedSeconds, 0, accepted),
  gateway.pid,
);
const gatewayMax = gatewayCpu.result;
const batchesSustained = batchFigures(await (await fetch(`${gatewayUrl}/metrics`)).text());
const gatewayFixed = await load('gateway', gatewayUrl, fixedSeconds, fixedRate, accepted);
const gatewayRss = peakRssMiB(/** @type {number} */ (gateway.pid));
const metrics = await (await fetch(`${gatewayUrl}/metrics`)).text();
await stop(gateway);

// Every 200 must be on the topic: read what was appended since the start and look each uid up.
const endOffsets = await admin.fetchTopicOffsets(topic);
const appended =
  endOffsets.reduce((n, p) => n + Number(p.high), 0) - startOffsets.reduce((n, p) => n + Number(p.high), 0);
const found = new Set();
const consumer = kafka.consumer({ groupId: `bench-gateway-${run}`, maxBytes: 64 * 1024 * 1024 });
await consumer.connect();
await consumer.subscribe({ topic });
let read = 0;
await new Promise((resolve, reject) => {
  const timer = setTimeout(
    () => reject(new Error(`read only ${read} of ${appended} appended records`)),
    180_000,
  );
  void consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        read++;
        const key = m.key?.toString() ?? '';
        if (key.includes(`-${run}-`)) found.add(key);
      }
      if (read >= appended) {
        clearTimeout(timer);
        resolve(undefined);
      }
    },
  });
  for (const p of startOffsets) consumer.seek({ topic, partition: p.partition, offset: p.high });
});
await consumer.disconnect();
await admin.disconnect();
const missing = [...accepted].filter((uid) => !found.has(uid)).length;

const { count: batchCount, sum: batchSum } = batchFigures(metrics);
report(
  'gateway',
  {
    ceilingRequestsPerSecond: Math.round(ceilingMax.requests.average),
    gatewayRequestsPerSecond: Math.round(gatewayMax.requests.average),
    gatewayShareOfCeiling: Number((gatewayMax.requests.average / ceilingMax.requests.average).toFixed(3)),
    ceilingP50MsAt1000: ceilingFixed.latency.p50,
    ceilingP99MsAt1000: ceilingFixed.latency.p99,
    gatewayP50MsAt1000: gatewayFixed.latency.p50,
    gatewayP99MsAt1000: gatewayFixed.latency.p99,
    gatewayRateAchieved: Math.round(gatewayFixed.requests.average),
    ceilingErrors: errorsOf(ceilingMax) + errorsOf(ceilingFixed),
    gatewayErrors: errorsOf(gatewayMax) + errorsOf(gatewayFixed),
    ceilingPeakRssMiB: ceilingRss,
    gatewayPeakRssMiB: gatewayRss,
    gateway200s: accepted.size,
    gateway200sOnTopic: accepted.size - missing,
    gateway200sMissing: missing,
    meanRecordsPerProduceCall: Number((batchSum / batchCount).toFixed(1)),
    meanRecordsPerProduceCallSustained: Number(
      ((batchesSustained.sum - batchesBefore.sum) / (batchesSustained.count - batchesBefore.count)).toFixed(
        1,
      ),
    ),
    ceilingCpuUsPerRequest: ceilingCpu.serverUs,
    gatewayCpuUsPerRequest: gatewayCpu.serverUs,
    brokerCpuUsPerGatewayRequest: gatewayCpu.brokerUs,
    loadGeneratorCpuUsPerRequestCeiling: ceilingCpu.loadUs,
    loadGeneratorCpuUsPerRequestGateway: gatewayCpu.loadUs,
  },
  {
    throughputAtLeastHalfTheCeiling: { figure: 'gatewayShareOfCeiling', atLeast: 0.5 },
    p99At1000PerSecondUnder25ms: { figure: 'gatewayP99MsAt1000', atMost: 25 },
    zeroErrors: { figure: 'gatewayErrors', atMost: 0 },
    every200OnTheTopic: { figure: 'gateway200sMissing', atMost: 0 },
  },
  {
    brokers,
    topic,
    bodyBytes: Buffer.byteLength(template) + 20,
    sustainedSeconds,
    fixedSeconds,
    fixedRate,
    connectionsSustained: connections,
    connectionsFixed: 20,
    loadGenerator: 'autocannon 9.0.0, in the bench process on the same machine',
    note: 'two cores shared by load generator, gateway, broker and other helpers',
  },
);
process.exit(0);
