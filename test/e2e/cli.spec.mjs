// The operations CLI (`packages/cli`) as an operator runs it: `node packages/cli/dist/main.js …` as a child
// process with only the variables it documents, against the whole stack (sandbox, gateway and the services as
// processes, real Kafka and PostgreSQL). Each command's effect is checked where it lands: at the sandbox
// (RxScale's side), in the services' APIs or in inventory-service's database.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import {
  freePort,
  INVENTED_PATIENT,
  INVENTED_PERSON_MARKERS,
  uniqueSuffix,
  waitFor,
} from '@rxbridge/testing';
import { stockLinesFromSeed } from '@rxbridge/tools/simulator';
import {
  createSandboxOrder,
  deadLetterCounts,
  leakedMarkers,
  localState,
  patientMarkers,
  sandboxAddress,
  sandboxPatient,
  sandboxStatus,
  startE2EStack,
} from './support/stack.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seed = JSON.parse(readFileSync(join(root, 'apps/rxscale-sandbox/seed/demo-chain.json'), 'utf8'));
const cliPackage = JSON.parse(readFileSync(join(root, 'packages/cli/package.json'), 'utf8'));
const CLI = join(root, 'packages/cli', cliPackage.bin.rxbridge);
const LINDENPLATZ = 'ph-demo-lindenplatz';
const PATIENT_SCOPED = 'e2e-cli-patient-data';
const markers = patientMarkers(seed, INVENTED_PERSON_MARKERS);

/** @type {import('./support/stack.mjs').E2EStack} */
let s;
/** @type {pg.Client} */
let db;
/** What every CLI run printed (except the one allowed to show patient data): checked for patient data. */
const printed = /** @type {string[]} */ ([]);

/**
 * `rxbridge <args>` as a real process. Its environment is built here, never inherited: PATH, the services'
 * URLs of this stack and the operator token, then `env` on top (a value of undefined removes the variable).
 * @param {string[]} args @param {Record<string, string | undefined>} [env] @param {{ quiet?: boolean }} [o]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
function rxbridge(args, env = {}, o = {}) {
  /** @type {Record<string, string | undefined>} */
  const all = {
    PATH: process.env.PATH,
    GATEWAY_URL: `http://127.0.0.1:${s.ports.gateway}`,
    ORDER_SERVICE_URL: s.urls.order,
    INVENTORY_SERVICE_URL: s.urls.inventory,
    SHIPPING_SERVICE_URL: s.urls.shipping,
    RXBRIDGE_API_TOKEN: s.tokens.developer,
    ...env,
  };
  const clean = Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: clean, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      if (!o.quiet) printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * stdout as JSON, or a failure that shows what the CLI said (stdout left out where it may hold patient data).
 * @param {{ code: number, stdout: string, stderr: string }} run @param {{ quiet?: boolean }} [o]
 */
function json(run, o = {}) {
  try {
    return JSON.parse(run.stdout);
  } catch {
    const out = o.quiet ? `${run.stdout.length} characters` : run.stdout.slice(0, 500);
    throw new Error(`stdout is not JSON (exit ${run.code}): ${out}\nstderr: ${run.stderr}`);
  }
}

/** The sandbox's view of a pharmacy SKU. @param {string} uid */
async function rxscaleSku(uid) {
  const r = await s.admin(`/pharmacy-skus/${uid}`);
  expect(r.status).toBe(200);
  return /** @type {{ uid: string, stock: number, external_id: string | null }} */ (r.body);
}

/** inventory-service's level of a PMS article. @param {string} articleId */
async function level(articleId) {
  const r = await s.api('inventory', `/pharmacies/${LINDENPLATZ}/stock/${encodeURIComponent(articleId)}`);
  expect(r.status).toBe(200);
  return /** @type {{ available: number, pharmacy_sku_uid: string | null }} */ (r.body);
}

/** The PMS article the seed's SKU maps to (its external_id, else the simulator's article id). @param {string} psku */
function articleOf(psku) {
  const ps = seed.pharmacy_skus.find((/** @type {any} */ p) => p.uid === psku);
  const pzn = seed.skus.find((/** @type {any} */ k) => k.uid === ps.sku_uid).pzn;
  const line = stockLinesFromSeed(seed)
    .get(LINDENPLATZ)
    ?.find((l) => l.pzn === pzn && (ps.external_id ? l.article_id === ps.external_id : true));
  if (!line) throw new Error(`no PMS line for ${psku}`);
  return line.article_id;
}

/** inventory-service's record of what RxScale holds for a SKU. @param {string} psku */
async function recordedAtRxscale(psku) {
  const r = await db.query('SELECT rxscale_stock FROM inventory.pharmacy_sku WHERE pharmacy_sku_uid = $1', [
    psku,
  ]);
  return /** @type {number | null} */ (r.rows[0]?.rxscale_stock ?? null);
}

/** Until inventory-service has no stock push waiting or running (the start's and earlier tests' pushes). */
function noPushPending() {
  return waitFor(async () => {
    const r = await db.query(
      "SELECT count(*)::int AS n FROM inventory.rxscale_command WHERE status = 'pending' AND kind = $1",
      ['sku.stock'],
    );
    return r.rows[0].n === 0 ? true : undefined;
  }, "inventory-service's pending stock pushes done");
}

/**
 * RxScale's level of each SKU changes to another than ours in the Pharmacy Portal, and the sandbox drops the
 * webhook that would tell inventory-service. With `record`, inventory-service's database then holds that
 * value with no push queued (what a stock push RxScale lost or refused leaves behind); without, it still
 * believes RxScale has our value. Waits first until RxScale has our value, so the difference is this one.
 * @param {string[]} pskus @param {{ record: boolean }} o
 */
async function changeAtRxscaleUnreported(pskus, o) {
  for (const psku of pskus) {
    const { available } = await level(articleOf(psku));
    await waitFor(
      async () => ((await rxscaleSku(psku)).stock === available ? true : undefined),
      `${psku} at RxScale equal to inventory's available count before the test`,
    );
  }
  const fault = await s.admin('/faults', {
    method: 'POST',
    body: { kind: 'webhook_drop', eventType: 'pharmacy_sku_stock_updated', count: pskus.length },
  });
  expect(fault.status).toBeLessThan(300);
  try {
    for (const psku of pskus) {
      const other = (await level(articleOf(psku))).available + 5;
      const patch = await s.admin(`/pharmacy-skus/${psku}/stock`, {
        method: 'PATCH',
        body: { stock: other },
      });
      expect(patch.status).toBe(200);
      if (o.record)
        await db.query('UPDATE inventory.pharmacy_sku SET rxscale_stock = $2 WHERE pharmacy_sku_uid = $1', [
          psku,
          other,
        ]);
    }
  } finally {
    await s.admin('/faults', { method: 'DELETE' });
  }
}

/** A sandbox order that order-service has taken in through its webhook. */
async function orderInProgress() {
  const uid = await createSandboxOrder(s, {
    pharmacy_uid: LINDENPLATZ,
    items: [{ pharmacy_sku_uid: 'psku-demo-1-004', amount: 1 }],
    patient: sandboxPatient(INVENTED_PATIENT),
    delivery_address: sandboxAddress(INVENTED_PATIENT),
  });
  await localState(s, uid, 'in_progress');
  return uid;
}

beforeAll(async () => {
  s = await startE2EStack({
    name: 'cli',
    simulator: false,
    extraTokens: { [PATIENT_SCOPED]: ['orders:read', 'orders:patient-data'] },
  });
  db = new pg.Client({ connectionString: s.databaseUrl });
  await db.connect();
  // The PMS's levels for one pharmacy, as the simulator sends them: its SKUs map and their stock is pushed.
  const lines = stockLinesFromSeed(seed).get(LINDENPLATZ);
  const r = await s.api('inventory', `/pharmacies/${LINDENPLATZ}/stock`, { method: 'POST', body: { lines } });
  expect(r.status).toBe(200);
  expect(/** @type {any} */ (r.body).rejected_count).toBe(0);
}, 240_000);

afterAll(async () => {
  await db?.end();
  await s?.stop();
});

describe('rxbridge skus sync', () => {
  it('maps a SKU created at RxScale since the last sync (external_id, stock) and repairs a change RxScale never reported; --json parses', async () => {
    const known = new Set(seed.skus.map((/** @type {any} */ k) => k.pzn));
    let pzn;
    do pzn = String(90_000_000 + Math.floor(Math.random() * 9_999_999));
    while (known.has(pzn));
    const articleId = `E2E-CLI-${uniqueSuffix()}`;
    const upload = await s.api('inventory', `/pharmacies/${LINDENPLATZ}/stock`, {
      method: 'POST',
      body: { lines: [{ article_id: articleId, pzn, on_hand: 9 }] },
    });
    expect(upload.status).toBe(200);
    const sku = await s.admin('/skus', {
      method: 'POST',
      body: { display_name: 'E2E CLI Testartikel', pzn },
    });
    expect(sku.status).toBe(201);
    const created = await s.admin('/pharmacy-skus', {
      method: 'POST',
      body: { pharmacy_uid: LINDENPLATZ, sku_uid: /** @type {any} */ (sku.body).uid, price: 499, stock: 0 },
    });
    expect(created.status).toBe(201);
    const psku = /** @type {{ uid: string }} */ (created.body).uid;
    expect(await level(articleId)).toMatchObject({ pharmacy_sku_uid: null });
    expect(await rxscaleSku(psku)).toMatchObject({ external_id: null, stock: 0 });
    const drifted = 'psku-demo-1-036';
    await changeAtRxscaleUnreported([drifted], { record: false });
    const ours = (await level(articleOf(drifted))).available;
    expect(await recordedAtRxscale(drifted)).toBe(ours);
    // stock push goes by inventory's record, which still says RxScale has our level: nothing to push.
    const push = await rxbridge(['stock', 'push', '--sku', drifted, '--json']);
    expect([push.code, json(push)]).toEqual([0, { skus: 1, pushes_queued: 0 }]);

    const run = await rxbridge(['skus', 'sync', '--json']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const out = json(run);
    expect(out).toMatchObject({ job: 'sku-sync', ok: true });
    expect(out.summary.pharmacies).toBe(seed.pharmacies.length);
    expect(out.summary.failed).toBe(0);
    expect(out.summary.externalIdsQueued).toBeGreaterThanOrEqual(1);
    expect(out.summary.pushesQueued).toBeGreaterThanOrEqual(2);

    expect(await level(articleId)).toMatchObject({ pharmacy_sku_uid: psku, available: 9 });
    await waitFor(async () => {
      const at = await rxscaleSku(psku);
      return at.external_id === articleId && at.stock === 9 ? at : undefined;
    }, 'the article id and the stock written at RxScale');
    // A Portal change RxScale never reported is found in the listing and our level pushed again.
    await waitFor(
      async () => ((await rxscaleSku(drifted)).stock === ours ? true : undefined),
      `${drifted}'s stock at RxScale back to the available count`,
    );
  });
});

describe('rxbridge stock push', () => {
  it('--sku <uid> --json: a SKU whose push was lost gets its available count at RxScale', async () => {
    const psku = 'psku-demo-1-009';
    await changeAtRxscaleUnreported([psku], { record: true });
    const { available } = await level(articleOf(psku));
    expect((await rxscaleSku(psku)).stock).toBe(available + 5);

    const run = await rxbridge(['stock', 'push', '--sku', psku, '--json']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(json(run)).toEqual({ skus: 1, pushes_queued: 1 });
    await waitFor(
      async () => ((await rxscaleSku(psku)).stock === available ? true : undefined),
      `${psku}'s stock at RxScale back to the available count`,
    );
    expect(await recordedAtRxscale(psku)).toBe(available);
  });

  it('without --sku: every mapped SKU is considered and exactly the lost ones are pushed', async () => {
    const lost = ['psku-demo-1-024', 'psku-demo-1-031'];
    await changeAtRxscaleUnreported(lost, { record: true });
    await noPushPending();
    const mapped = await db.query(
      'SELECT count(*)::int AS n FROM inventory.pharmacy_sku WHERE deleted_at IS NULL AND article_id IS NOT NULL',
    );

    const run = await rxbridge(['stock', 'push', '--json']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(json(run)).toEqual({ skus: mapped.rows[0].n, pushes_queued: 2 });
    for (const psku of lost) {
      const { available } = await level(articleOf(psku));
      await waitFor(
        async () => ((await rxscaleSku(psku)).stock === available ? true : undefined),
        `${psku}'s stock at RxScale back to the available count`,
      );
    }
  });
});

describe('rxbridge orders reconcile', () => {
  it('--json: an order whose webhook was dropped is taken in by the run and goes on to be accepted', async () => {
    const fault = await s.admin('/faults', {
      method: 'POST',
      body: { kind: 'webhook_drop', eventType: 'pharmacy_order_created', count: 1 },
    });
    expect(fault.status).toBeLessThan(300);
    /** @type {string} */
    let uid;
    try {
      uid = await createSandboxOrder(s, {
        pharmacy_uid: LINDENPLATZ,
        items: [{ pharmacy_sku_uid: 'psku-demo-1-006', amount: 1 }],
        patient: sandboxPatient(INVENTED_PATIENT),
        delivery_address: sandboxAddress(INVENTED_PATIENT),
      });
      await waitFor(async () => {
        const r = await s.admin('/webhook-deliveries');
        const mine = /** @type {any} */ (r.body).deliveries.filter(
          (/** @type {any} */ d) => d.dataUid === uid,
        );
        return mine.length > 0 && mine.every((/** @type {any} */ d) => d.state === 'dropped')
          ? true
          : undefined;
      }, 'the order-created webhook dropped');
    } finally {
      await s.admin('/faults', { method: 'DELETE' });
    }
    expect((await s.api('order', `/orders/${uid}`)).status).toBe(404);

    const run = await rxbridge(['orders', 'reconcile', '--json']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const out = json(run);
    expect(out).toMatchObject({ job: 'order-safety-net', ok: true, error: null });
    expect(out.summary.found).toBeGreaterThanOrEqual(1);
    expect(out.summary.failed).toBe(0);

    const taken = await s.api('order', `/orders/${uid}`);
    expect(taken.status).toBe(200);
    await localState(s, uid, 'in_progress');
    await sandboxStatus(s, uid, 'in-progress');
  });
});

describe('rxbridge orders show', () => {
  it('--json: the order with its status history, without patient data unless the token has orders:patient-data', async () => {
    const uid = await orderInProgress();
    const run = await rxbridge(['orders', 'show', uid, '--json']);
    expect([run.code, run.stderr]).toEqual([0, '']);
    const order = json(run);
    // first, so that a failure below never prints a patient in its diff
    expect('patient' in order).toBe(false);
    expect(order).toMatchObject({ pharmacy_order_uid: uid, pharmacy_uid: LINDENPLATZ, state: 'in_progress' });
    expect(order.history.map((/** @type {any} */ h) => h.to_state)).toContain('in_progress');
    const ordered = seed.pharmacy_skus.find((/** @type {any} */ p) => p.uid === 'psku-demo-1-004');
    expect(order.lines).toMatchObject([{ sku_uid: ordered.sku_uid, quantity: 1 }]);
    expect(leakedMarkers(run.stdout, markers)).toEqual([]);

    // The same order for a token that may see patient data: the patient is there (compared, never printed).
    const scoped = await rxbridge(
      ['orders', 'show', uid, '--json'],
      { RXBRIDGE_API_TOKEN: s.extraTokens[PATIENT_SCOPED] },
      { quiet: true },
    );
    expect(scoped.code).toBe(0);
    const withPatient = json(scoped, { quiet: true });
    expect(withPatient.patient?.name === INVENTED_PATIENT.displayName).toBe(true);
    expect(withPatient.patient?.email === INVENTED_PATIENT.email).toBe(true);

    const text = await rxbridge(['orders', 'show', uid]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^state\s+in_progress$/m);
    expect(text.stdout).toMatch(new RegExp(`^pharmacy_order_uid\\s+${uid}$`, 'm'));
  });

  it('an unknown uid exits 1 with the service’s 404; a uid with a slash is bad usage (2)', async () => {
    const [unknown, slash] = await Promise.all([
      rxbridge(['orders', 'show', 'po-e2e-never-seen', '--json']),
      rxbridge(['orders', 'show', 'po-1/ready']),
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(
      /order-service answered 404 to GET \/orders\/po-e2e-never-seen: order_not_found/,
    );
    expect(slash.code).toBe(2);
    expect(slash.stderr).toContain('is not an order uid');
  });
});

describe('bad arguments, configuration and dependencies', () => {
  it('bad arguments are usage errors (2) with a message', async () => {
    const [noSku, noUid, unknown] = await Promise.all([
      rxbridge(['stock', 'push', '--sku', ',']),
      rxbridge(['orders', 'show']),
      rxbridge(['orders', 'repair']),
    ]);
    expect([noSku.code, noSku.stderr]).toEqual([2, expect.stringContaining('--sku needs at least one SKU')]);
    expect([noUid.code, noUid.stderr]).toEqual([
      2,
      expect.stringContaining("missing required argument 'uid'"),
    ]);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('repair')]);
  });

  it('a service that is not there exits 3 naming the variable to set', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const [inventory, order] = await Promise.all([
      rxbridge(['skus', 'sync', '--json'], { INVENTORY_SERVICE_URL: closed }),
      rxbridge(['orders', 'show', 'po-e2e-any'], { ORDER_SERVICE_URL: closed }),
    ]);
    expect(inventory.code).toBe(3);
    expect(inventory.stdout).toBe('');
    expect(inventory.stderr).toContain(`inventory-service at ${closed} is unreachable`);
    expect(inventory.stderr).toContain('INVENTORY_SERVICE_URL');
    expect(order.code).toBe(3);
    expect(order.stderr).toContain('ORDER_SERVICE_URL');
  });

  it('a missing token (78), a malformed URL (78), an unknown token (1) and a token without operator (1) say what to do, never echoing the token', async () => {
    const wrong = `rxb_${uniqueSuffix()}_not_a_token_of_this_stack`;
    const [missing, badUrl, unknown, pharmacyOnly] = await Promise.all([
      rxbridge(['orders', 'reconcile'], { RXBRIDGE_API_TOKEN: undefined }),
      rxbridge(['stock', 'push'], { INVENTORY_SERVICE_URL: 'inventory:3002' }),
      rxbridge(['skus', 'sync'], { RXBRIDGE_API_TOKEN: wrong }),
      rxbridge(['orders', 'reconcile'], { RXBRIDGE_API_TOKEN: s.tokens.simulator }),
    ]);
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain('RXBRIDGE_API_TOKEN is not set');
    expect(badUrl.code).toBe(78);
    expect(badUrl.stderr).toContain('INVENTORY_SERVICE_URL');

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('inventory-service refused RXBRIDGE_API_TOKEN (401)');
    expect(unknown.stderr).toContain('HTTP_API_TOKENS');
    expect(unknown.stderr).not.toContain(wrong);

    expect(pharmacyOnly.code).toBe(1);
    expect(pharmacyOnly.stderr).toContain('order-service refused RXBRIDGE_API_TOKEN (403)');
    expect(pharmacyOnly.stderr).toContain('(operator)');
    expect(pharmacyOnly.stderr).not.toContain(s.tokens.simulator);
  });
});

describe('the run', () => {
  it('dead-lettered nothing, no process exited, and neither the logs nor the CLI printed patient data', async () => {
    const counts = await deadLetterCounts(Object.values(s.groups));
    expect(Object.keys(counts)).toHaveLength(3);
    expect(counts).toEqual(Object.fromEntries(Object.keys(counts).map((topic) => [topic, 0])));
    expect(s.exits).toEqual([]);
    expect(leakedMarkers(s.logText(), markers)).toEqual([]);
    expect(printed.length).toBeGreaterThan(0);
    expect(leakedMarkers(printed.join('\n'), markers)).toEqual([]);
  });
});
