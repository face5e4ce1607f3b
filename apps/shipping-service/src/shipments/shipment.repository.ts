import { Inject, Injectable } from '@nestjs/common';
import { type Initiator } from '@rxbridge/contracts';
import { type EntityManager } from 'typeorm';
import { DeliveryAddress } from './delivery-address.js';
import { FIELD_CIPHER, type FieldCipher } from './field-cipher.port.js';
import { type Fulfilment, type ShipmentState, type ShipmentTrigger } from './shipment-lifecycle.js';

export type ShippingOrderStatus = 'received' | 'ready' | 'cancelled';

/** What shipping-service remembers of an order (no patient data). */
export interface ShippingOrder {
  pharmacyOrderUid: string;
  pharmacyUid: string;
  deliveryType: string | null;
  fulfilment: Fulfilment;
  status: ShippingOrderStatus;
  receivedAt: Date;
  readyAt: Date | null;
  cancelledAt: Date | null;
  addressPurgedAt: Date | null;
}

export interface Shipment {
  shipmentUid: string;
  pharmacyOrderUid: string;
  pharmacyUid: string;
  fulfilment: Fulfilment;
  state: ShipmentState;
  carrier: string | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
  flagReason: string | null;
  expectedAt: Date;
  dispatchedAt: Date | null;
  handedOverAt: Date | null;
  deliveredAt: Date | null;
  stoppedAt: Date | null;
  flaggedAt: Date | null;
  closedAt: Date | null;
  updatedAt: Date;
}

export interface ShipmentHistoryEntry {
  shipmentUid: string;
  pharmacyOrderUid: string;
  fromState: ShipmentState | null;
  toState: ShipmentState;
  trigger: ShipmentTrigger | 'expect';
  initiator: Initiator;
  reason: string | null;
  at: Date;
}

/** Filters of the desk's shipment list; all optional, combined with AND. */
export interface ShipmentListFilter {
  pharmacyUid?: string;
  states?: readonly ShipmentState[];
  pharmacyOrderUid?: string;
  trackingNumber?: string;
  /** A pharmacy order uid or a tracking number (compared upper-cased, as tracking numbers are stored). */
  search?: string;
  /** rows at most (the edge bounds it) */
  limit: number;
  /** Keyset cursor: the last shipment of the previous page (newest first). */
  after?: { expectedAt: Date; shipmentUid: string };
}

/** A change of state as the use cases decide it; the repository writes the state's own timestamp. */
export interface ShipmentChange {
  state: ShipmentState;
  at: Date;
  /** Set when the new state closes the shipment (retention clock of the address). */
  closed: boolean;
  tracking?: { carrier: string; trackingNumber: string; trackingUrl: string | null };
  flagReason?: string;
}

interface OrderRow {
  pharmacy_order_uid: string;
  pharmacy_uid: string;
  delivery_type: string | null;
  fulfilment: Fulfilment;
  status: ShippingOrderStatus;
  received_at: Date;
  ready_at: Date | null;
  cancelled_at: Date | null;
  address_purged_at: Date | null;
}

interface ShipmentRow {
  shipment_uid: string;
  pharmacy_order_uid: string;
  pharmacy_uid: string;
  fulfilment: Fulfilment;
  state: ShipmentState;
  carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  flag_reason: string | null;
  expected_at: Date;
  dispatched_at: Date | null;
  handed_over_at: Date | null;
  delivered_at: Date | null;
  stopped_at: Date | null;
  flagged_at: Date | null;
  closed_at: Date | null;
  updated_at: Date;
}

interface HistoryRow {
  shipment_uid: string;
  pharmacy_order_uid: string;
  from_state: ShipmentState | null;
  to_state: ShipmentState;
  trigger: ShipmentTrigger | 'expect';
  initiator: Initiator;
  reason: string | null;
  at: Date;
}

const toOrder = (r: OrderRow): ShippingOrder => ({
  pharmacyOrderUid: r.pharmacy_order_uid,
  pharmacyUid: r.pharmacy_uid,
  deliveryType: r.delivery_type,
  fulfilment: r.fulfilment,
  status: r.status,
  receivedAt: r.received_at,
  readyAt: r.ready_at,
  cancelledAt: r.cancelled_at,
  addressPurgedAt: r.address_purged_at,
});

const toShipment = (r: ShipmentRow): Shipment => ({
  shipmentUid: r.shipment_uid,
  pharmacyOrderUid: r.pharmacy_order_uid,
  pharmacyUid: r.pharmacy_uid,
  fulfilment: r.fulfilment,
  state: r.state,
  carrier: r.carrier,
  trackingNumber: r.tracking_number,
  trackingUrl: r.tracking_url,
  flagReason: r.flag_reason,
  expectedAt: r.expected_at,
  dispatchedAt: r.dispatched_at,
  handedOverAt: r.handed_over_at,
  deliveredAt: r.delivered_at,
  stoppedAt: r.stopped_at,
  flaggedAt: r.flagged_at,
  closedAt: r.closed_at,
  updatedAt: r.updated_at,
});

/** The timestamp column each state sets when entered (a fixed map: never built from input). */
const STATE_TIME_COLUMN: Record<ShipmentState, string> = {
  expected: 'expected_at',
  dispatched: 'dispatched_at',
  'handed-over': 'handed_over_at',
  delivered: 'delivered_at',
  stopped: 'stopped_at',
  flagged: 'flagged_at',
};

const addressAad = (pharmacyOrderUid: string) => `shipping.delivery_address:${pharmacyOrderUid}`;

/**
 * SQL of the `shipping` schema. Every method takes the caller's transaction. The delivery address is
 * encrypted and decrypted here and nowhere else, so plaintext never reaches a query parameter.
 */
@Injectable()
export class ShipmentRepository {
  constructor(@Inject(FIELD_CIPHER) private readonly cipher: FieldCipher) {}

  /** Remembers a received order; false when it was already known (a repeat changes nothing). */
  async insertOrder(
    manager: EntityManager,
    order: Pick<
      ShippingOrder,
      'pharmacyOrderUid' | 'pharmacyUid' | 'deliveryType' | 'fulfilment' | 'receivedAt'
    >,
  ): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `INSERT INTO shipping_order (pharmacy_order_uid, pharmacy_uid, delivery_type, fulfilment, status, received_at, updated_at)
       VALUES ($1, $2, $3, $4, 'received', $5, $5)
       ON CONFLICT (pharmacy_order_uid) DO NOTHING
       RETURNING 1`,
      [order.pharmacyOrderUid, order.pharmacyUid, order.deliveryType, order.fulfilment, order.receivedAt],
    );
    return rows.length === 1;
  }

  /** The order, locked for the rest of the transaction when `lock` (commands on one order run one at a time). */
  async findOrder(
    manager: EntityManager,
    pharmacyOrderUid: string,
    options: { lock?: boolean } = {},
  ): Promise<ShippingOrder | null> {
    const rows = await manager.query<OrderRow[]>(
      `SELECT * FROM shipping_order WHERE pharmacy_order_uid = $1${options.lock ? ' FOR UPDATE' : ''}`,
      [pharmacyOrderUid],
    );
    return rows[0] ? toOrder(rows[0]) : null;
  }

  async setOrderStatus(
    manager: EntityManager,
    pharmacyOrderUid: string,
    status: Exclude<ShippingOrderStatus, 'received'>,
    at: Date,
  ): Promise<void> {
    const column = status === 'ready' ? 'ready_at' : 'cancelled_at';
    await manager.query(
      `UPDATE shipping_order SET status = $2, ${column} = $3, updated_at = $3 WHERE pharmacy_order_uid = $1`,
      [pharmacyOrderUid, status, at],
    );
  }

  async insertShipment(
    manager: EntityManager,
    shipment: Pick<Shipment, 'pharmacyOrderUid' | 'pharmacyUid' | 'fulfilment' | 'expectedAt'>,
  ): Promise<Shipment> {
    const rows = await manager.query<ShipmentRow[]>(
      `INSERT INTO shipment (pharmacy_order_uid, pharmacy_uid, fulfilment, state, expected_at, updated_at)
       VALUES ($1, $2, $3, 'expected', $4, $4)
       RETURNING *`,
      [shipment.pharmacyOrderUid, shipment.pharmacyUid, shipment.fulfilment, shipment.expectedAt],
    );
    return toShipment(rows[0]!);
  }

  async findShipmentByOrder(manager: EntityManager, pharmacyOrderUid: string): Promise<Shipment | null> {
    const rows = await manager.query<ShipmentRow[]>('SELECT * FROM shipment WHERE pharmacy_order_uid = $1', [
      pharmacyOrderUid,
    ]);
    return rows[0] ? toShipment(rows[0]) : null;
  }

  /** The desk's list, newest expected first; flagged shipments are found with `states: ['flagged']`. */
  async listShipments(manager: EntityManager, filter: ShipmentListFilter): Promise<Shipment[]> {
    const rows = await manager.query<ShipmentRow[]>(
      `SELECT * FROM shipment
        WHERE ($1::text IS NULL OR pharmacy_uid = $1)
          AND ($2::text[] IS NULL OR state = ANY ($2))
          AND ($3::text IS NULL OR pharmacy_order_uid = $3)
          AND ($4::text IS NULL OR tracking_number = $4)
          AND ($5::timestamptz IS NULL OR (expected_at, shipment_uid) < ($5, $6))
          AND ($8::text IS NULL OR pharmacy_order_uid = $8 OR tracking_number = upper($8))
        ORDER BY expected_at DESC, shipment_uid DESC
        LIMIT $7`,
      [
        filter.pharmacyUid ?? null,
        filter.states && filter.states.length > 0 ? filter.states : null,
        filter.pharmacyOrderUid ?? null,
        filter.trackingNumber ?? null,
        filter.after?.expectedAt ?? null,
        filter.after?.shipmentUid ?? null,
        filter.limit,
        filter.search ?? null,
      ],
    );
    return rows.map(toShipment);
  }

  async applyChange(manager: EntityManager, shipmentUid: string, change: ShipmentChange): Promise<Shipment> {
    const timeColumn = STATE_TIME_COLUMN[change.state];
    const rows = await manager.query<ShipmentRow[]>(
      `UPDATE shipment
          SET state = $2,
              ${timeColumn} = $3,
              updated_at = $3,
              closed_at = CASE WHEN $4::boolean THEN $3 ELSE closed_at END,
              carrier = coalesce($5, carrier),
              tracking_number = coalesce($6, tracking_number),
              tracking_url = CASE WHEN $5::text IS NULL THEN tracking_url ELSE $7 END,
              flag_reason = coalesce($8, flag_reason)
        WHERE shipment_uid = $1
        RETURNING *`,
      [
        shipmentUid,
        change.state,
        change.at,
        change.closed,
        change.tracking?.carrier ?? null,
        change.tracking?.trackingNumber ?? null,
        change.tracking?.trackingUrl ?? null,
        change.flagReason ?? null,
      ],
    );
    // UPDATE … RETURNING through TypeORM's postgres driver answers [rows, count].
    const updated = (Array.isArray(rows[0]) ? rows[0] : rows) as ShipmentRow[];
    return toShipment(updated[0]!);
  }

  async appendHistory(manager: EntityManager, entry: ShipmentHistoryEntry): Promise<void> {
    await manager.query(
      `INSERT INTO shipment_history (shipment_uid, pharmacy_order_uid, from_state, to_state, trigger, initiator, reason, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        entry.shipmentUid,
        entry.pharmacyOrderUid,
        entry.fromState,
        entry.toState,
        entry.trigger,
        entry.initiator,
        entry.reason,
        entry.at,
      ],
    );
  }

  async listHistory(manager: EntityManager, shipmentUid: string): Promise<ShipmentHistoryEntry[]> {
    const rows = await manager.query<HistoryRow[]>(
      'SELECT * FROM shipment_history WHERE shipment_uid = $1 ORDER BY id',
      [shipmentUid],
    );
    return rows.map((r) => ({
      shipmentUid: r.shipment_uid,
      pharmacyOrderUid: r.pharmacy_order_uid,
      fromState: r.from_state,
      toState: r.to_state,
      trigger: r.trigger,
      initiator: r.initiator,
      reason: r.reason,
      at: r.at,
    }));
  }

  /** Stores (or replaces) the order's delivery address, encrypted and bound to the order uid. */
  async storeDeliveryAddress(
    manager: EntityManager,
    pharmacyOrderUid: string,
    address: DeliveryAddress,
    at: Date,
  ): Promise<void> {
    const envelope = this.cipher.encrypt(JSON.stringify(address), addressAad(pharmacyOrderUid));
    await manager.query(
      `INSERT INTO delivery_address (pharmacy_order_uid, envelope, stored_at) VALUES ($1, $2, $3)
       ON CONFLICT (pharmacy_order_uid) DO UPDATE SET envelope = EXCLUDED.envelope, stored_at = EXCLUDED.stored_at`,
      [pharmacyOrderUid, envelope, at],
    );
  }

  async readDeliveryAddress(
    manager: EntityManager,
    pharmacyOrderUid: string,
  ): Promise<DeliveryAddress | null> {
    const rows = await manager.query<{ envelope: string }[]>(
      'SELECT envelope FROM delivery_address WHERE pharmacy_order_uid = $1',
      [pharmacyOrderUid],
    );
    if (!rows[0]) return null;
    return DeliveryAddress.parse(
      JSON.parse(this.cipher.decrypt(rows[0].envelope, addressAad(pharmacyOrderUid))),
    );
  }

  /**
   * Deletes the addresses of shipments closed before `closedBefore` or still open and expected before
   * `openBefore`, and notes the purge on their orders. Returns how many addresses went.
   */
  async purgeDeliveryAddresses(
    manager: EntityManager,
    bounds: { closedBefore: Date; openBefore: Date },
    at: Date,
  ): Promise<number> {
    const rows = await manager.query<{ purged: number }[]>(
      `WITH gone AS (
         DELETE FROM delivery_address a
          USING shipment s
          WHERE s.pharmacy_order_uid = a.pharmacy_order_uid
            AND (s.closed_at < $1 OR (s.closed_at IS NULL AND s.expected_at < $3))
         RETURNING a.pharmacy_order_uid
       ), marked AS (
         UPDATE shipping_order o SET address_purged_at = $2, updated_at = $2
           FROM gone WHERE o.pharmacy_order_uid = gone.pharmacy_order_uid
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM gone)::int AS purged, (SELECT count(*) FROM marked)::int AS marked`,
      [bounds.closedBefore, at, bounds.openBefore],
    );
    return rows[0]?.purged ?? 0;
  }
}
