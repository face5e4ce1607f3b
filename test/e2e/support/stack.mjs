// @ts-check
// The whole stack for an end-to-end test: the same app list and start code as `npm start`
// (tools/stack/apps.mjs, run-stack.mjs), on free ports, in a database of its own, with consumer groups of
// its own that begin at the topics' current end (the broker is shared with other runs). Every line every
// process writes is kept, so a test can check that no patient data reached a log.
import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allTopics } from '@rxbridge/contracts';
import { createKafkaClient, mintApiToken, silentLogger } from '@rxbridge/service-kit';
import {
  brokers,
  createTestDatabase,
  freePort,
  requestJson,
  startGroupAtEnd,
  uniqueSuffix,
  waitFor,
} from '@rxbridge/testing';
import { infrastructureEnv, stackApps, stackGroups } from '@rxbridge/tools/stack/apps';
import { mintStackCredentials } from '@rxbridge/tools/stack/credentials';
import { provisionCatalogTopics } from '@rxbridge/tools/stack/gateway-wiring';
import { startStack } from '@rxbridge/tools/stack/run-stack';

/** What each service's group consumes (BRIEF / the topic catalog). */
const CONSUMED = {
  order: ['rxscale.pharmacy-orders.v1', 'pharmacy.inventory.v1', 'pharmacy.shipments.v1'],
  inventory: ['pharmacy.orders.v1', 'rxscale.pharmacy-skus.v1'],
  shipping: ['pharmacy.orders.v1'],
};

/**
 * A topic's partition ends. Right after provisioning created it, a fresh broker can still answer "not the
 * leader" for a moment (kafkajs marks it retriable): ask again for up to 30 s.
 * @param {import('kafkajs').Admin} admin @param {string} topic
 */
async function endsOf(admin, topic) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      if (!(/** @type {{ retriable?: boolean }} */ (err).retriable) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * The consumer groups of a stack with this suffix begin where their topics end now (the services' groups
 * read from the beginning otherwise, and the broker holds other runs' orders): @rxbridge/testing's
 * startGroupAtEnd for each group, before any service joins it.
 * @param {string} suffix
 */
export async function startGroupsAtEnd(suffix) {
  const kafka = createKafkaClient({ clientId: 'rxbridge-e2e', brokers, logger: silentLogger });
  const known = new Set(allTopics().map((t) => t.name));
  await Promise.all(
    Object.entries(CONSUMED).map(([svc, all]) =>
      startGroupAtEnd(
        kafka,
        stackGroups(suffix)[/** @type {'order' | 'inventory' | 'shipping'} */ (svc)],
        all.filter((t) => known.has(t)),
      ),
    ),
  );
}

/**
 * `extraTokens` (name → scopes) are minted for this run and accepted by every service besides the stack's
 * own (e.g. a token with `orders:patient-data`, which none of the stack's tokens has).
 * @param {{ name: string, simulator?: boolean, envOverrides?: Record<string, Record<string, string>>, extraTokens?: Record<string, string[]> }} o
 */
export async function startE2EStack(o) {
  const database = await createTestDatabase(`e2e_${o.name}`);
  /** @type {import('@rxbridge/tools/stack/apps').StackOptions['ports']} */
  const ports = /** @type {any} */ ({
    sandbox: await freePort(),
    gateway: await freePort(),
    order: await freePort(),
    inventory: await freePort(),
    shipping: await freePort(),
  });
  const suffix = `-e2e-${uniqueSuffix()}`;
  await provisionCatalogTopics(brokers.join(','), Object.values(stackGroups(suffix)));
  await startGroupsAtEnd(suffix);
  const credentials = await mintStackCredentials();
  const apps = stackApps({
    ports,
    credentials,
    simulator: o.simulator ?? false,
    groupSuffix: suffix,
    envOverrides: o.envOverrides,
  });
  /** @type {Record<string, string>} */
  const extraTokens = {};
  const extraEntries = Object.entries(o.extraTokens ?? {}).map(([name, scopes]) => {
    const minted = mintApiToken(name, /** @type {any} */ (scopes));
    extraTokens[name] = minted.token;
    return minted.entry;
  });
  if (extraEntries.length > 0)
    for (const app of apps)
      if (app.env.HTTP_API_TOKENS)
        app.env.HTTP_API_TOKENS = JSON.stringify([...JSON.parse(app.env.HTTP_API_TOKENS), ...extraEntries]);
  const logDir = join(tmpdir(), 'rxbridge-e2e');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${o.name}${suffix}.log`);
  /** @type {string[]} */
  const logs = [];
  /** @type {string[]} */
  const exits = [];
  const stack = await startStack({
    apps,
    env: {
      ...process.env,
      ...infrastructureEnv({ databaseUrl: database.url, brokers: brokers.join(',') }),
    },
    onOutput: (app, chunk) => {
      const text = chunk.toString('utf8');
      logs.push(`[${app}] ${text}`);
      appendFileSync(logFile, text.replace(/^/gm, `[${app}] `));
    },
    onExit: (app, code) => exits.push(`${app} exited (${code})`),
    readyTimeoutMs: 90_000,
  }).catch(async (err) => {
    await database.drop();
    throw new Error(`${err instanceof Error ? err.message : err}; logs in ${logFile}`);
  });
  const url = (/** @type {number} */ p) => `http://127.0.0.1:${p}`;
  const bearer = { authorization: `Bearer ${credentials.tokens.developer}` };
  let n = 0;
  return {
    ports,
    logFile,
    exits,
    /** the run's consumer groups (suffixed: only this run's records reach their dead-letter topics) */
    groups: stackGroups(suffix),
    /** everything the processes wrote so far */
    logText: () => logs.join(''),
    sandbox: url(ports.sandbox),
    urls: { order: url(ports.order), inventory: url(ports.inventory), shipping: url(ports.shipping) },
    tokens: credentials.tokens,
    /** the clear `extraTokens`, by name */
    extraTokens,
    /** the run's own database (the services' schemas: order, inventory, shipping) */
    databaseUrl: database.url,
    /** @param {string} path @param {{ method?: string, body?: unknown }} [r] */
    admin: (path, r = {}) => requestJson(`${url(ports.sandbox)}/_admin${path}`, r),
    /**
     * A call to a service as the pharmacy, with the developer token (and an Idempotency-Key on writes).
     * @param {'order' | 'inventory' | 'shipping'} svc @param {string} path @param {{ method?: string, body?: unknown, key?: string }} [r]
     */
    api: (svc, path, r = {}) =>
      requestJson(`${url(ports[svc])}${path}`, {
        method: r.method ?? 'GET',
        body: r.body,
        headers: {
          ...bearer,
          ...(r.method && r.method !== 'GET' ? { 'idempotency-key': r.key ?? `e2e-${suffix}-${++n}` } : {}),
        },
      }),
    async stop() {
      await stack.stop();
      await database.drop();
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof startE2EStack>>} E2EStack */

/**
 * Creates an order at the sandbox as RxScale would (admin API), with a uid of this run.
 * @param {E2EStack} s @param {{ pharmacy_uid: string, items: { pharmacy_sku_uid: string, amount: number }[], delivery?: 'shipping' | 'pickup', patient?: unknown, delivery_address?: unknown }} order
 */
export async function createSandboxOrder(s, order) {
  const uid = `po-e2e-${uniqueSuffix()}`;
  const r = await s.admin('/orders', { method: 'POST', body: { uid, ...order } });
  if (r.status !== 201)
    throw new Error(`the sandbox refused the order: ${r.status} ${JSON.stringify(r.body)}`);
  return uid;
}

/** @param {E2EStack} s @param {string} uid */
export async function sandboxOrder(s, uid) {
  const r = await s.admin(`/orders/${uid}`);
  return /** @type {any} */ (r.body);
}

/** Waits until the sandbox has the order in that status. @param {E2EStack} s @param {string} uid @param {string} status */
export function sandboxStatus(s, uid, status, timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const o = await sandboxOrder(s, uid);
      return o?.status === status ? o : undefined;
    },
    `order ${uid} ${status} at the sandbox`,
    { timeoutMs, intervalMs: 200 },
  );
}

/** Waits until order-service has the order in that local state. @param {E2EStack} s @param {string} uid @param {string} state */
export function localState(s, uid, state, timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const r = await s.api('order', `/orders/${uid}`);
      return r.status === 200 && /** @type {any} */ (r.body).state === state
        ? /** @type {any} */ (r.body)
        : undefined;
    },
    `order ${uid} ${state} in order-service`,
    { timeoutMs, intervalMs: 200 },
  );
}

/** @param {E2EStack} s @param {string} uid @param {string} state */
export function shipmentState(s, uid, state, timeoutMs = 60_000) {
  return waitFor(
    async () => {
      const r = await s.api('shipping', `/shipments/${uid}`);
      return r.status === 200 && /** @type {any} */ (r.body).state === state
        ? /** @type {any} */ (r.body)
        : undefined;
    },
    `shipment ${uid} ${state} in shipping-service`,
    { timeoutMs, intervalMs: 200 },
  );
}

/**
 * The pharmacy events of the given orders, read from the catalog topics from the offsets taken at `from()`.
 */
export async function eventLog() {
  const kafka = createKafkaClient({ clientId: 'rxbridge-e2e-reader', brokers, logger: silentLogger });
  const topics = ['pharmacy.orders.v1', 'pharmacy.inventory.v1', 'pharmacy.shipments.v1'];
  const admin = kafka.admin();
  await admin.connect();
  /** @type {Record<string, { partition: number, offset: string }[]>} */
  const start = {};
  for (const t of topics)
    start[t] = (await endsOf(admin, t)).map((p) => ({ partition: p.partition, offset: p.high }));
  await admin.disconnect();
  /** one entry per record (topic/partition/offset): a re-read after the seek below is not a second event */
  /** @type {Map<string, { topic: string, key: string, event: any }>} */
  const records = new Map();
  const consumer = kafka.consumer({ groupId: `rxbridge-e2e-reader-${uniqueSuffix()}` });
  await consumer.connect();
  for (const t of topics) await consumer.subscribe({ topic: t });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      records.set(`${topic}/${partition}/${message.offset}`, {
        topic,
        key: message.key?.toString() ?? '',
        event: JSON.parse(message.value?.toString() ?? 'null'),
      });
    },
  });
  await waitFor(() => joined || undefined, 'the event reader joined', { timeoutMs: 30_000 });
  for (const t of topics)
    for (const p of start[t] ?? []) consumer.seek({ topic: t, partition: p.partition, offset: p.offset });
  return {
    /** @param {string} uid */
    of: (uid) =>
      [...records.values()]
        .filter((r) => r.event?.data?.pharmacy_order_uid === uid || r.key === uid)
        .map((r) => r.event),
    stop: () => consumer.disconnect(),
  };
}

/**
 * How many records each of the groups' dead-letter topics holds.
 * @param {string[]} groups @returns {Promise<Record<string, number>>}
 */
export async function deadLetterCounts(groups) {
  const admin = createKafkaClient({ clientId: 'rxbridge-e2e-dlq', brokers, logger: silentLogger }).admin();
  await admin.connect();
  try {
    /** @type {Record<string, number>} */
    const counts = {};
    for (const g of groups)
      counts[`${g}.dlq`] = (await endsOf(admin, `${g}.dlq`)).reduce(
        (n, p) => n + Number(p.high) - Number(p.low),
        0,
      );
    return counts;
  } finally {
    await admin.disconnect();
  }
}

/** The types of events, counted. @param {{ type: string }[]} events */
export function countTypes(events) {
  /** @type {Record<string, number>} */
  const counts = {};
  for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return counts;
}

/**
 * Strings that only patient data of the fixtures holds: the invented people of @rxbridge/testing and the
 * seed's invented patients (full names, e-mails, birth dates; a bare first name like "Mia" is too common).
 * @param {{ orders: { patient?: { first_name: string, last_name: string, email: string, date_of_birth: string } }[] }} seed
 * @param {readonly string[]} invented
 */
export function patientMarkers(seed, invented) {
  const fromSeed = seed.orders.flatMap((o) =>
    o.patient
      ? [`${o.patient.first_name} ${o.patient.last_name}`, o.patient.email, o.patient.date_of_birth]
      : [],
  );
  return [...invented, ...fromSeed];
}

/** @param {string} text @param {string[]} markers @returns {string[]} the markers found */
export function leakedMarkers(text, markers) {
  return markers.filter((m) => text.includes(m));
}

/** An invented person as the sandbox's admin API takes a patient. @param {import('@rxbridge/testing').InventedPerson} p */
export const sandboxPatient = (p) => ({
  first_name: p.firstName,
  last_name: p.lastName,
  email: p.email,
  date_of_birth: p.dateOfBirth,
});

/** An invented person's address as the sandbox's admin API takes it. @param {import('@rxbridge/testing').InventedPerson} p */
export const sandboxAddress = (p) => ({
  street: p.address.street,
  house_number: p.address.houseNumber,
  zip_code: p.address.zipCode,
  city: p.address.city,
  country: p.address.country,
});
