// @ts-check
// The pharmacy simulator of the local stack: it plays the pharmacy's PMS and shipping desk through the
// services' own REST APIs, with a bearer token like any other client. At start it sends the stock levels of
// the seed's SKUs to inventory-service; then it marks every order in progress packed after a delay, and
// records a shipment (demo carrier and tracking number) or a pickup hand-over for every expected shipment.
// It never reads patient data (its token has no patient-data scope) and logs uids and statuses only.
import { randomUUID } from 'node:crypto';

/**
 * @typedef {object} SimulatorOptions
 * @property {string} orderServiceUrl
 * @property {string} inventoryServiceUrl
 * @property {string} shippingServiceUrl
 * @property {string} token bearer token with orders:read, orders:write, stock:write, shipments:read, shipments:write
 * @property {{ pharmacies: { uid: string }[], skus: { uid: string, pzn: string }[], pharmacy_skus: { uid: string, pharmacy_uid: string, sku_uid: string, stock: number, external_id?: string | null }[] }} seed
 * @property {number} [packDelayMs] how long an order in progress waits before it is marked packed
 * @property {number} [pollMs] how often the order and shipment lists are read
 * @property {string} [carrier] one of shipping-service's carriers
 * @property {(line: string) => void} [log]
 */

/** The article id the PMS uses for a SKU without an external id: stable, from the PZN. @param {string} pzn */
export const inventedArticleId = (pzn) => `SIM-PZN-${pzn}`;

/**
 * One stock upload per pharmacy, from the seed: the article id is the SKU's external id when it has one
 * (that is how RxScale's SKU maps to the PMS article), else an invented stable id sent with the PZN.
 * @param {SimulatorOptions['seed']} seed
 * @returns {Map<string, { article_id: string, on_hand: number, pzn?: string }[]>}
 */
export function stockLinesFromSeed(seed) {
  const pznBySku = new Map(seed.skus.map((s) => [s.uid, s.pzn]));
  /** @type {Map<string, { article_id: string, on_hand: number, pzn?: string }[]>} */
  const byPharmacy = new Map(seed.pharmacies.map((p) => [p.uid, []]));
  for (const ps of seed.pharmacy_skus) {
    const pzn = pznBySku.get(ps.sku_uid);
    const lines = byPharmacy.get(ps.pharmacy_uid);
    if (!lines || pzn === undefined) continue;
    lines.push(
      ps.external_id
        ? { article_id: ps.external_id, on_hand: ps.stock, pzn }
        : { article_id: inventedArticleId(pzn), on_hand: ps.stock, pzn },
    );
  }
  return byPharmacy;
}

/** A demo tracking number: never a real parcel's. @param {string} orderUid */
export const demoTrackingNumber = (orderUid) =>
  `DEMO${Buffer.from(orderUid).toString('hex').slice(0, 12).toUpperCase()}${Date.now() % 100000}`;

/** @param {unknown} s */
export const isHandOver = (s) =>
  typeof s === 'object' &&
  s !== null &&
  /** @type {{ fulfilment?: unknown }} */ (s).fulfilment === 'hand-over';

/** @param {SimulatorOptions} o */
export function createSimulator(o) {
  const packDelayMs = o.packDelayMs ?? 2000;
  const pollMs = o.pollMs ?? 1000;
  const carrier = o.carrier ?? 'DHL';
  const log = o.log ?? ((line) => console.log(line));
  /** order uid → when it was first seen in progress */
  const seenInProgress = new Map();
  /** uids done (packed, shipped), so a slow list does not repeat a step */
  const packed = new Set();
  const shipped = new Set();
  /** stable Idempotency-Keys per step, so a retried step records once */
  const keys = new Map();
  let stopped = false;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  /** @type {Promise<void> | undefined} */
  let running;
  /** @param {string} step */
  const keyFor = (step) => {
    let k = keys.get(step);
    if (!k) keys.set(step, (k = `sim-${randomUUID()}`));
    return k;
  };

  /**
   * @param {string} base @param {string} method @param {string} path @param {unknown} [body] @param {string} [idemKey]
   * @returns {Promise<{ status: number, body: any }>}
   */
  async function call(base, method, path, body, idemKey) {
    /** @type {Record<string, string>} */
    const headers = { authorization: `Bearer ${o.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idemKey) headers['idempotency-key'] = idemKey;
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: res.status, body: parsed };
  }

  /** @param {{ status: number, body: any }} r */
  const errorCode = (r) => r.body?.error?.code ?? `HTTP_${r.status}`;

  /** Sends every pharmacy's stock levels; retried until inventory-service takes them. */
  async function sendStock() {
    for (const [pharmacy, lines] of stockLinesFromSeed(o.seed)) {
      if (lines.length === 0) continue;
      for (;;) {
        if (stopped) return;
        try {
          const r = await call(
            o.inventoryServiceUrl,
            'POST',
            `/pharmacies/${encodeURIComponent(pharmacy)}/stock`,
            { lines },
            keyFor(`stock:${pharmacy}`),
          );
          if (r.status >= 200 && r.status < 300) {
            log(
              `[simulator] stock sent pharmacy=${pharmacy} lines=${lines.length} accepted=${r.body?.accepted ?? '?'} rejected=${r.body?.rejected_count ?? '?'}`,
            );
            break;
          }
          log(`[simulator] stock refused pharmacy=${pharmacy} status=${r.status} code=${errorCode(r)}`);
          if (r.status < 500 && r.status !== 409 && r.status !== 429) break;
        } catch (err) {
          log(`[simulator] stock not sent pharmacy=${pharmacy}: ${err instanceof Error ? err.message : err}`);
        }
        await sleep(pollMs);
      }
    }
  }

  /** @param {string} base @param {string} path */
  async function listAll(base, path) {
    /** @type {any[]} */
    const items = [];
    let cursor = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const r = await call(
        base,
        'GET',
        `${path}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status} ${errorCode(r)}`);
      items.push(...(r.body?.items ?? []));
      cursor = r.body?.next_cursor ?? null;
    } while (cursor);
    return items;
  }

  async function packOrders() {
    const orders = await listAll(o.orderServiceUrl, '/orders?state=in_progress');
    const now = Date.now();
    for (const order of orders) {
      const uid = order.pharmacy_order_uid ?? order.uid;
      if (typeof uid !== 'string' || packed.has(uid)) continue;
      const since = seenInProgress.get(uid) ?? now;
      seenInProgress.set(uid, since);
      if (now - since < packDelayMs) continue;
      const r = await call(
        o.orderServiceUrl,
        'POST',
        `/orders/${encodeURIComponent(uid)}/ready`,
        {},
        keyFor(`ready:${uid}`),
      );
      if (r.status >= 200 && r.status < 300) {
        packed.add(uid);
        seenInProgress.delete(uid);
        log(`[simulator] order ${uid} packed (ready)`);
      } else {
        log(`[simulator] order ${uid} not marked ready: ${r.status} ${errorCode(r)}; retrying later`);
        if (r.status === 404 || r.status === 422) keys.delete(`ready:${uid}`);
      }
    }
  }

  async function shipOrders() {
    const shipments = await listAll(o.shippingServiceUrl, '/shipments?state=expected');
    for (const s of shipments) {
      const uid = s.pharmacy_order_uid;
      if (typeof uid !== 'string' || shipped.has(uid)) continue;
      const handOver = isHandOver(s);
      const r = handOver
        ? await call(
            o.shippingServiceUrl,
            'POST',
            `/shipments/${encodeURIComponent(uid)}/hand-over`,
            {},
            keyFor(`ship:${uid}`),
          )
        : await call(
            o.shippingServiceUrl,
            'POST',
            `/shipments/${encodeURIComponent(uid)}/dispatch`,
            {
              carrier,
              tracking_number:
                keys.get(`tn:${uid}`) ?? keys.set(`tn:${uid}`, demoTrackingNumber(uid)).get(`tn:${uid}`),
            },
            keyFor(`ship:${uid}`),
          );
      if (r.status >= 200 && r.status < 300) {
        shipped.add(uid);
        log(
          handOver
            ? `[simulator] order ${uid} handed over`
            : `[simulator] order ${uid} dispatched carrier=${carrier} tracking=${keys.get(`tn:${uid}`)}`,
        );
      } else if (r.status === 409 && errorCode(r) === 'order_not_ready') {
        // Not ready yet on shipping's side (the ready event is on its way): the same step later, new key,
        // since the first key holds the 409.
        keys.delete(`ship:${uid}`);
        log(`[simulator] order ${uid} not ready for shipping yet; retrying later`);
      } else {
        keys.delete(`ship:${uid}`);
        log(`[simulator] order ${uid} not shipped: ${r.status} ${errorCode(r)}`);
        if (r.status === 409) shipped.add(uid); // cancelled or already dispatched: nothing left to do
      }
    }
  }

  async function tick() {
    for (const step of [packOrders, shipOrders]) {
      if (stopped) return;
      try {
        await step();
      } catch (err) {
        log(`[simulator] ${step.name} failed: ${err instanceof Error ? err.message : err}`);
      }
    }
  }

  return {
    /** Sends the stock, then polls until stop(). Resolves once the stock is sent. */
    async start() {
      await sendStock();
      const loop = async () => {
        if (stopped) return;
        running = tick();
        await running;
        if (!stopped) timer = setTimeout(loop, pollMs);
      };
      void loop();
      log(`[simulator] polling every ${pollMs} ms (pack delay ${packDelayMs} ms, carrier ${carrier})`);
    },
    /** Stops polling; resolves once the step in flight is done. */
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
