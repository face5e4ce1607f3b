import { Injectable } from '@nestjs/common';
import { type PharmacyOrderStatus } from '@rxbridge/rxscale-contract';
import { effectsCtes, type Effects } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { type SealedPatientData } from '../patient-data/patient-data-cipher.js';
import { type OrderState, type StockPolicy } from './order-lifecycle.js';

export interface OrderRow extends SealedPatientData {
  pharmacy_order_uid: string;
  pharmacy_uid: string;
  order_uid: string;
  name: string | null;
  state: OrderState;
  held_from: OrderState | null;
  rxscale_status: PharmacyOrderStatus | null;
  /** bigint comes back from pg as a string; converted in `toRow`. */
  rxscale_updated_at: number | null;
  delivery_type: string | null;
  priority: number | null;
  stock_policy: StockPolicy | null;
  refused_requested: string | null;
  refused_reason: string | null;
  refused_status_code: number | null;
  /** Where a refused order was before the refusal (a retry takes it back); null when refused at first sight. */
  refused_from: OrderState | null;
  shipment_uid: string | null;
  patient_data_purged_at: Date | null;
  received_at: Date;
  updated_at: Date;
  closed_at: Date | null;
}

export interface NewOrderLine {
  order_item_uid: string;
  sku_uid: string;
  sku_name: string | null;
  pharmacy_sku_uid: string | null;
  external_id: string | null;
  pzn: string | null;
  quantity: number;
}
export type OrderLineRow = NewOrderLine;

export type NewOrder = Omit<
  OrderRow,
  | 'refused_requested'
  | 'refused_reason'
  | 'refused_status_code'
  | 'refused_from'
  | 'shipment_uid'
  | 'patient_data_purged_at'
  | 'updated_at'
  | 'closed_at'
  | 'stock_policy'
>;

export interface LifecycleUpdate {
  state: OrderState;
  held_from: OrderState | null;
  rxscale_status: PharmacyOrderStatus | null;
  stock_policy?: StockPolicy;
  shipment_uid?: string | null;
  /**
   * Written when the order enters `refused` (`from`: the state it left, null at first sight); `null` clears it
   * (a retry resolved it, the history keeps it); absent leaves it as it is.
   */
  refusal?: {
    requested: string;
    reason: string;
    statusCode: number | null;
    from: OrderState | null;
  } | null;
}

export interface HistoryEntry {
  at: Date;
  trigger: string;
  from_state: OrderState | null;
  to_state: OrderState;
  rxscale_status: PharmacyOrderStatus | null;
  initiator: string;
  note?: string | null;
}
export interface HistoryRow extends Required<HistoryEntry> {
  id: string;
}

/** One RxScale command of an order as service-kit's command table holds it (the command log). */
export interface OrderCommandRow {
  id: string;
  kind: string;
  payload: unknown;
  status: string;
  attempts: number;
  reason: string | null;
  last_error: string | null;
  created_at: Date;
  completed_at: Date | null;
}

/** Marks a withdrawn command in service-kit's table, whose status set has no word for it (see notes). */
export const WITHDRAWN_PREFIX = 'withdrawn: ';

const ORDER_COLUMNS = `pharmacy_order_uid, pharmacy_uid, order_uid, name, state, held_from, rxscale_status,
  rxscale_updated_at, delivery_type, priority, stock_policy, refused_requested, refused_reason, refused_status_code,
  refused_from, shipment_uid, patient_name, patient_email, patient_date_of_birth, delivery_address, patient_data_purged_at, received_at,
  updated_at, closed_at`;

/** SQL of the orders schema. Every method runs in the caller's transaction. */
@Injectable()
export class OrderRepository {
  /**
   * Inserts the order, its lines, its first history entry and the step's effects (events, RxScale commands), in
   * one statement (one round trip on the busiest path); false, writing nothing, when the order exists already
   * (a concurrent receipt won).
   */
  async insert(
    manager: EntityManager,
    order: NewOrder,
    lines: readonly NewOrderLine[],
    history: HistoryEntry,
    effects: Effects = {},
  ): Promise<boolean> {
    const closed = order.state === 'completed' || order.state === 'cancelled' ? order.received_at : null;
    const params: unknown[] = [
      order.pharmacy_order_uid,
      order.pharmacy_uid,
      order.order_uid,
      order.name,
      order.state,
      order.held_from,
      order.rxscale_status,
      order.rxscale_updated_at,
      order.delivery_type,
      order.priority,
      order.patient_name,
      order.patient_email,
      order.patient_date_of_birth,
      order.delivery_address,
      order.received_at,
      closed,
      lines.map((l) => l.order_item_uid),
      lines.map((l) => l.sku_uid),
      lines.map((l) => l.sku_name),
      lines.map((l) => l.pharmacy_sku_uid),
      lines.map((l) => l.external_id),
      lines.map((l) => l.pzn),
      lines.map((l) => l.quantity),
      ...historyValues(history),
    ];
    const queued = effectsCtes(effects, params, { when: 'EXISTS (SELECT 1 FROM stored)' });
    const rows = await manager.query<{ n: number }[]>(
      `WITH stored AS (
         INSERT INTO orders (pharmacy_order_uid, pharmacy_uid, order_uid, name, state, held_from, rxscale_status,
           rxscale_updated_at, delivery_type, priority, patient_name, patient_email, patient_date_of_birth,
           delivery_address, received_at, updated_at, closed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16)
         ON CONFLICT (pharmacy_order_uid) DO NOTHING RETURNING pharmacy_order_uid),
       stored_lines AS (
         INSERT INTO order_lines (pharmacy_order_uid, order_item_uid, sku_uid, sku_name, pharmacy_sku_uid,
           external_id, pzn, quantity)
         SELECT s.pharmacy_order_uid, l.* FROM stored s,
           unnest($17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::integer[])
             AS l(order_item_uid, sku_uid, sku_name, pharmacy_sku_uid, external_id, pzn, quantity)),
       first_entry AS (
         INSERT INTO order_status_history (pharmacy_order_uid, at, trigger, from_state, to_state, rxscale_status,
           initiator, note)
         SELECT pharmacy_order_uid, $24::timestamptz, $25::text, $26::text, $27::text, $28::text, $29::text, $30::text
         FROM stored)${queued.map((cte) => `, ${cte}`).join('')}
       SELECT count(*)::int AS n FROM stored`,
      params,
    );
    return rows[0]!.n === 1;
  }

  /** The order, locked for the rest of the transaction: use cases of one order run one at a time. */
  async lock(manager: EntityManager, pharmacyOrderUid: string): Promise<OrderRow | null> {
    const rows = await manager.query<RawOrderRow[]>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE pharmacy_order_uid = $1 FOR UPDATE`,
      [pharmacyOrderUid],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  async find(manager: EntityManager, pharmacyOrderUid: string): Promise<OrderRow | null> {
    const rows = await manager.query<RawOrderRow[]>(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE pharmacy_order_uid = $1`,
      [pharmacyOrderUid],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** Which of these orders are stored. */
  async knownUids(manager: EntityManager, pharmacyOrderUids: readonly string[]): Promise<Set<string>> {
    const rows = await manager.query<{ pharmacy_order_uid: string }[]>(
      'SELECT pharmacy_order_uid FROM orders WHERE pharmacy_order_uid = ANY($1)',
      [pharmacyOrderUids],
    );
    return new Set(rows.map((r) => r.pharmacy_order_uid));
  }

  async lines(manager: EntityManager, pharmacyOrderUid: string): Promise<OrderLineRow[]> {
    return manager.query<OrderLineRow[]>(
      `SELECT order_item_uid, sku_uid, sku_name, pharmacy_sku_uid, external_id, pzn, quantity
       FROM order_lines WHERE pharmacy_order_uid = $1 ORDER BY order_item_uid`,
      [pharmacyOrderUid],
    );
  }

  /**
   * Writes a step's change of the order, with its history entry and its effects (events, RxScale commands)
   * when given, in one statement (one round trip per step).
   */
  async updateLifecycle(
    manager: EntityManager,
    pharmacyOrderUid: string,
    update: LifecycleUpdate,
    now: Date,
    history?: HistoryEntry,
    effects: Effects = {},
  ): Promise<void> {
    const closing = update.state === 'completed' || update.state === 'cancelled';
    const refusal = update.refusal;
    const entry = history
      ? `, entry AS (INSERT INTO order_status_history (pharmacy_order_uid, at, trigger, from_state, to_state,
           rxscale_status, initiator, note) SELECT pharmacy_order_uid, $14::timestamptz, $15::text, $16::text, $17::text, $18::text, $19::text,
           $20::text FROM updated)`
      : '';
    const params: unknown[] = [
      pharmacyOrderUid,
      update.state,
      update.held_from,
      update.rxscale_status,
      update.stock_policy ?? null,
      refusal !== undefined,
      refusal?.requested ?? null,
      refusal?.reason ?? null,
      refusal?.statusCode ?? null,
      now,
      closing,
      update.shipment_uid ?? null,
      refusal?.from ?? null,
      ...(history ? historyValues(history) : []),
    ];
    const queued = effectsCtes(effects, params);
    await manager.query(
      `WITH updated AS (UPDATE orders SET state = $2, held_from = $3, rxscale_status = $4,
         stock_policy = COALESCE($5, stock_policy),
         refused_requested = CASE WHEN $6::boolean THEN $7 ELSE refused_requested END,
         refused_reason = CASE WHEN $6::boolean THEN $8 ELSE refused_reason END,
         refused_status_code = CASE WHEN $6::boolean THEN $9::integer ELSE refused_status_code END,
         refused_from = CASE WHEN $6::boolean THEN $13 ELSE refused_from END,
         updated_at = $10,
         closed_at = CASE WHEN $11::boolean THEN COALESCE(closed_at, $10) ELSE NULL END,
         shipment_uid = COALESCE($12, shipment_uid)
       WHERE pharmacy_order_uid = $1 RETURNING pharmacy_order_uid)${entry}${queued.map((cte) => `, ${cte}`).join('')}
       SELECT 1`,
      params,
    );
  }

  /** Keeps the newest RxScale `updated_at` seen; never moves it back. */
  async recordRxscaleUpdatedAt(
    manager: EntityManager,
    pharmacyOrderUid: string,
    updatedAt: number,
  ): Promise<void> {
    await manager.query(
      `UPDATE orders SET rxscale_updated_at = GREATEST(COALESCE(rxscale_updated_at, $2), $2)
       WHERE pharmacy_order_uid = $1`,
      [pharmacyOrderUid, updatedAt],
    );
  }

  async appendHistory(manager: EntityManager, pharmacyOrderUid: string, entry: HistoryEntry): Promise<void> {
    await manager.query(
      `INSERT INTO order_status_history (pharmacy_order_uid, at, trigger, from_state, to_state, rxscale_status,
         initiator, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [pharmacyOrderUid, ...historyValues(entry)],
    );
  }

  async history(manager: EntityManager, pharmacyOrderUid: string): Promise<HistoryRow[]> {
    const rows = await manager.query<HistoryRow[]>(
      `SELECT id::text AS id, at, trigger, from_state, to_state, rxscale_status, initiator, note
       FROM order_status_history WHERE pharmacy_order_uid = $1 ORDER BY id`,
      [pharmacyOrderUid],
    );
    return rows;
  }

  /**
   * Withdraws the order's pending RxScale commands so the relay never sends them (a cancellation or a
   * refusal made them pointless). service-kit's table has no "withdrawn" status, so they are settled as
   * `failed` with a reason starting WITHDRAWN_PREFIX. A command the relay is executing right now is locked
   * and skipped: it runs to its end, and its outcome lands on an order that no longer acts on it.
   */
  async withdrawPendingCommands(
    manager: EntityManager,
    pharmacyOrderUid: string,
    why: string,
  ): Promise<number> {
    // counted in SQL: TypeORM answers a bare UPDATE with [rows, count], not with the rows
    const rows = await manager.query<{ n: number }[]>(
      `WITH withdrawn AS (
         UPDATE rxscale_command SET status = 'failed', reason = $2, completed_at = clock_timestamp()
         WHERE id IN (SELECT id FROM rxscale_command WHERE target_uid = $1 AND status = 'pending'
                      FOR UPDATE SKIP LOCKED)
         RETURNING 1)
       SELECT count(*)::int AS n FROM withdrawn`,
      [pharmacyOrderUid, `${WITHDRAWN_PREFIX}${why}`],
    );
    return rows[0]!.n;
  }

  /**
   * What a retry queues again: the order's last refused or failed command (not one withdrawn) and the
   * commands that refusal withdrew after it, oldest first. Empty when housekeeping removed them already.
   */
  async refusedCommands(
    manager: EntityManager,
    pharmacyOrderUid: string,
  ): Promise<{ kind: string; payload: unknown }[]> {
    return manager.query<{ kind: string; payload: unknown }[]>(
      `WITH refused AS (
         SELECT id FROM rxscale_command
         WHERE target_uid = $1 AND status IN ('refused', 'failed') AND coalesce(reason, '') NOT LIKE $2
         ORDER BY id DESC LIMIT 1)
       SELECT c.kind, c.payload FROM rxscale_command c, refused r
       WHERE c.target_uid = $1 AND (c.id = r.id OR (c.id > r.id AND c.status = 'failed' AND c.reason = $3))
       ORDER BY c.id`,
      [pharmacyOrderUid, `${WITHDRAWN_PREFIX}%`, `${WITHDRAWN_PREFIX}order refused`],
    );
  }

  /** The order's RxScale command log, oldest first. */
  async commands(manager: EntityManager, pharmacyOrderUid: string): Promise<OrderCommandRow[]> {
    return manager.query<OrderCommandRow[]>(
      `SELECT id::text AS id, kind, payload, status, attempts, reason, last_error, created_at, completed_at
       FROM rxscale_command WHERE target_uid = $1 ORDER BY id`,
      [pharmacyOrderUid],
    );
  }

  /**
   * Removes the patient data of orders closed before `closedBefore` (the retention job, DESIGN.md §7), at most
   * `limit` per call so a large backlog is purged in short transactions. Returns how many orders it cleared.
   */
  async purgePatientData(
    manager: EntityManager,
    closedBefore: Date,
    now: Date,
    limit: number,
  ): Promise<number> {
    const rows = await manager.query<{ n: number }[]>(
      `WITH purged AS (
         UPDATE orders SET patient_name = NULL, patient_email = NULL, patient_date_of_birth = NULL,
           delivery_address = NULL, patient_data_purged_at = $2
         WHERE pharmacy_order_uid IN (
           SELECT pharmacy_order_uid FROM orders
           WHERE closed_at IS NOT NULL AND closed_at < $1 AND patient_data_purged_at IS NULL
           ORDER BY closed_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING 1)
       SELECT count(*)::int AS n FROM purged`,
      [closedBefore, now, limit],
    );
    return rows[0]!.n;
  }
}

/** A history entry's column values, in the column order every INSERT here names them. */
function historyValues(entry: HistoryEntry): unknown[] {
  return [
    entry.at,
    entry.trigger,
    entry.from_state,
    entry.to_state,
    entry.rxscale_status,
    entry.initiator,
    entry.note ?? null,
  ];
}

type RawOrderRow = Omit<OrderRow, 'rxscale_updated_at'> & { rxscale_updated_at: string | number | null };

function toRow(raw: RawOrderRow): OrderRow {
  return {
    ...raw,
    rxscale_updated_at: raw.rxscale_updated_at === null ? null : Number(raw.rxscale_updated_at),
  };
}
