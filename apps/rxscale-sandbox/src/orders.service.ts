import {
  COMPLETE_ORDER_ALLOWED_FROM,
  isAllowedStatusTransition,
  totalPages,
  type CompleteOrderRequest,
  type ListPayoutsQuery,
  type ListPharmacyOrdersQuery,
  type PayoutPage,
  type PharmacyOrder,
  type PharmacyOrderDetail,
  type PharmacyOrderPage,
  type PharmacyOrderStatus,
  type StatusUpdateRequest,
} from '@rxbridge/rxscale-contract';
import { badRequest, conflict, notFound } from './http/http-error.js';
import { newUid, unixNow } from './ids.js';
import type { SandboxSettings } from './settings.js';
import type { OrderRecord, SandboxStore, StatusChange } from './store.js';
import type { Views } from './views.js';
import type { EventSink } from './webhooks/webhook-dispatcher.js';
import type { AdminOrderInput } from './admin-schemas.js';

/** The pharmacy-order lifecycle of API.md §9, as the pharmacy's API and the admin ("RxScale") see it. */
export class OrdersService {
  constructor(
    private readonly store: SandboxStore,
    private readonly views: Views,
    private readonly events: EventSink,
    private readonly settings: SandboxSettings,
  ) {}

  /** In creation order (stable while pages are read; the docs name no sort order, API.md §14.22). */
  list(pharmacyUid: string, query: ListPharmacyOrdersQuery): PharmacyOrderPage {
    const search = query.search?.toLowerCase();
    const matches = [...this.store.orders.values()].filter(
      (o) =>
        o.pharmacy_uid === pharmacyUid &&
        (query.status === undefined || o.status === query.status) &&
        (search === undefined || searchableFields(o).some((f) => f.toLowerCase().includes(search))),
    );
    const start = query.page * query.limit;
    return {
      data: matches.slice(start, start + query.limit).map((o) => this.views.orderListItem(o)),
      totalRegistries: matches.length,
      totalPages: totalPages(matches.length, query.limit),
    };
  }

  get(pharmacyUid: string, uid: string): PharmacyOrderDetail {
    return this.views.orderDetail(this.find(pharmacyUid, uid));
  }

  updateStatus(pharmacyUid: string, uid: string, req: StatusUpdateRequest, by: string): PharmacyOrder {
    const order = this.find(pharmacyUid, uid);
    // Repeating the current status is a no-op, so a client may safely retry a PATCH whose answer it lost.
    if (order.status === req.status) return this.views.orderListItem(order);
    if (!isAllowedStatusTransition(order.status, req.status))
      throw conflict(`Status transition from '${order.status}' to '${req.status}' is not allowed`);
    this.transition(
      order,
      req.status,
      by,
      'PATCH /status',
      req.status === 'on-hold' ? req.comment : undefined,
    );
    if (this.settings.echoStatusChanges)
      this.events.emit(order.pharmacy_uid, 'pharmacy_order_updated', this.views.orderWebhookData(order));
    return this.views.orderListItem(order);
  }

  /** The only way to `completed` (API.md §7.5): reduces each line's pharmacy-SKU stock, routes the payouts. */
  complete(pharmacyUid: string, uid: string, req: CompleteOrderRequest, by: string): PharmacyOrder {
    const order = this.find(pharmacyUid, uid);
    if (order.status === 'completed') return this.views.orderListItem(order);
    if (!COMPLETE_ORDER_ALLOWED_FROM.includes(order.status))
      throw conflict(
        `Order cannot be completed from status '${order.status}'; allowed from: ${COMPLETE_ORDER_ALLOWED_FROM.join(', ')}`,
      );
    const now = unixNow();
    const changedSkus = new Set<string>();
    for (const item of order.items) {
      const psku = this.store.pharmacySkus.get(item.pharmacy_sku_uid);
      if (!psku) continue;
      // Goods already left the shelf: stock never goes below zero (RxScale's rule is not documented).
      psku.stock = Math.max(0, psku.stock - item.amount);
      psku.updated_at = now;
      changedSkus.add(psku.uid);
    }
    order.shipment = {
      carrier: req.carrier ?? null,
      tracking_number: req.tracking_number ?? null,
      tracking_url: req.tracking_url ?? null,
      completed_at: now,
    };
    for (const p of this.store.payouts) {
      if (p.pharmacy_order_uid !== order.uid) continue;
      p.status = 'routed';
      p.routing_created_at = now;
      p.provider_route_id = newUid('rt');
      p.routing_description = `Split payment ${order.name}`;
    }
    this.transition(order, 'completed', by, 'PATCH /complete_order');
    this.events.emit(order.pharmacy_uid, 'pharmacy_order_updated', this.views.orderWebhookData(order));
    if (this.settings.echoApiStockChanges)
      for (const skuUid of changedSkus) {
        const psku = this.store.pharmacySkus.get(skuUid);
        if (psku)
          this.events.emit(psku.pharmacy_uid, 'pharmacy_sku_stock_updated', this.views.pharmacySku(psku));
      }
    return this.views.orderListItem(order);
  }

  listPayouts(pharmacyUid: string, query: ListPayoutsQuery): PayoutPage {
    const search = query.search?.toLowerCase();
    const rows = this.store.payouts.filter((p) => {
      if (p.pharmacy_uid !== pharmacyUid) return false;
      if (query.status && p.status !== query.status) return false;
      const when = p.status === 'routed' ? p.routing_created_at : p.pharmacy_order_created_at;
      if (query.start_date !== undefined && (when ?? 0) < query.start_date) return false;
      if (query.end_date !== undefined && (when ?? 0) > query.end_date) return false;
      if (search === undefined) return true;
      return [
        p.pharmacy_order_uid,
        p.pharmacy_order_name,
        p.provider_route_id ?? '',
        p.routing_description ?? '',
      ].some((f) => f.toLowerCase().includes(search));
    });
    const dir = query.sort_direction === 'asc' ? 1 : -1;
    rows.sort((a, b) => dir * ((a[query.sort_by] ?? 0) - (b[query.sort_by] ?? 0)));
    const start = query.page * query.limit;
    return {
      data: rows.slice(start, start + query.limit).map((p) => this.views.payout(p)),
      totalRegistries: rows.length,
      totalPages: totalPages(rows.length, query.limit),
    };
  }

  // --- admin ("RxScale's side") ---

  create(input: AdminOrderInput): OrderRecord {
    if (!this.store.pharmacies.has(input.pharmacy_uid))
      throw badRequest(`pharmacy_uid '${input.pharmacy_uid}' does not exist`);
    const uid = input.uid ?? newUid('po');
    if (this.store.orders.has(uid)) throw conflict(`order '${uid}' already exists`);
    const items = input.items.map((item, i) => {
      const psku = this.store.pharmacySkus.get(item.pharmacy_sku_uid);
      if (!psku || psku.pharmacy_uid !== input.pharmacy_uid)
        throw badRequest(
          `items.${i}.pharmacy_sku_uid '${item.pharmacy_sku_uid}' is not a SKU of pharmacy '${input.pharmacy_uid}'`,
        );
      return {
        uid: newUid('oi'),
        pharmacy_sku_uid: psku.uid,
        amount: item.amount,
        total_paid_amount: item.total_paid_amount ?? psku.price * item.amount,
      };
    });
    const now = unixNow();
    const name =
      input.name ?? `PO-${newUid('x').slice(2, 6).toUpperCase()}-${newUid('x').slice(2, 6).toUpperCase()}`;
    const patient = input.patient;
    const names = { first_name: patient.first_name, last_name: patient.last_name };
    const address = { ...names, ...input.delivery_address };
    const order: OrderRecord = {
      uid,
      name,
      shop_order_name: input.shop_order_name ?? null,
      status: input.status,
      external_status: input.external_status,
      pharmacy_uid: input.pharmacy_uid,
      data: input.data,
      order_uid: newUid('ord'),
      delivery_address: address,
      invoice_address: input.invoice_address ? { ...names, ...input.invoice_address } : { ...address },
      priority: input.priority,
      items,
      shop_shipping_methods: [],
      shipping_costs_amount: input.shipping_costs_amount ?? null,
      shipping_costs_currency: input.shipping_costs_amount === undefined ? null : 'EUR',
      delivery_type:
        input.delivery === 'pickup'
          ? { uid: 'dt-pickup', display_name: 'Abholung in der Apotheke', identifier: 'pickup' }
          : { uid: 'dt-shipping', display_name: 'Versand', identifier: 'shipping' },
      patient_data: {
        uid: newUid('pat'),
        display_name: `${patient.first_name} ${patient.last_name}`,
        email: patient.email ?? null,
        date_of_birth: patient.date_of_birth ?? null,
      },
      doctor_data: { uid: newUid('doc'), display_name: 'Dr. med. Demo Sandbox' },
      prescription_file: { filename: `rezept_${name}.pdf`, content_base64: 'JVBERi0xLjcK' },
      prepaid: 1,
      created_at: now,
      updated_at: now,
      history: [{ at: now, from: null, to: input.status, by: 'admin', via: 'admin: create' }],
      shipment: null,
    };
    this.store.orders.set(uid, order);
    const total = items.reduce((sum, i) => sum + i.total_paid_amount, 0);
    if (total > 0)
      this.store.payouts.push({
        pharmacy_uid: order.pharmacy_uid,
        pharmacy_order_uid: uid,
        pharmacy_order_name: name,
        pharmacy_order_created_at: now,
        status: 'projected',
        amount: total,
        currency: 'EUR',
        component: 'item_rest',
        routing_created_at: null,
        provider_route_id: null,
        routing_description: null,
      });
    if (order.status === 'waiting for pharmacy')
      this.events.emit(order.pharmacy_uid, 'pharmacy_order_created', this.views.orderWebhookData(order));
    return order;
  }

  /** RxScale (or the patient) cancels: always announced with `pharmacy_order_updated` (API.md §11.6). */
  cancel(uid: string, reason: string | undefined): OrderRecord {
    const order = this.adminFind(uid);
    if (order.status === 'completed' || order.status === 'cancelled')
      throw conflict(`order '${uid}' is already ${order.status}`);
    this.transition(order, 'cancelled', 'admin', 'admin: cancel', reason);
    this.store.payouts = this.store.payouts.filter((p) => p.pharmacy_order_uid !== uid);
    this.events.emit(order.pharmacy_uid, 'pharmacy_order_updated', this.views.orderWebhookData(order));
    return order;
  }

  /** RxScale assigns an `init` order to its pharmacy: `waiting for pharmacy` and `pharmacy_order_created`. */
  assign(uid: string): OrderRecord {
    const order = this.adminFind(uid);
    if (order.status !== 'init') throw conflict(`order '${uid}' is ${order.status}, not init`);
    this.transition(order, 'waiting for pharmacy', 'system', 'admin: assign');
    this.events.emit(order.pharmacy_uid, 'pharmacy_order_created', this.views.orderWebhookData(order));
    return order;
  }

  adminFind(uid: string): OrderRecord {
    const order = this.store.orders.get(uid);
    if (!order) throw notFound();
    return order;
  }

  adminView(order: OrderRecord) {
    return { ...this.views.orderDetail(order), status_history: order.history, shipment: order.shipment };
  }

  private find(pharmacyUid: string, uid: string): OrderRecord {
    const order = this.store.orders.get(uid);
    // Another pharmacy's order answers exactly like a missing one (API.md §5: 404 hides existence).
    if (!order || order.pharmacy_uid !== pharmacyUid) throw notFound();
    return order;
  }

  private transition(
    order: OrderRecord,
    to: PharmacyOrderStatus,
    by: string,
    via: string,
    comment?: string,
  ): void {
    const now = unixNow();
    const change: StatusChange = { at: now, from: order.status, to, by, via };
    if (comment !== undefined) change.comment = comment;
    order.history.push(change);
    order.status = to;
    order.updated_at = now;
  }
}

function searchableFields(o: OrderRecord): string[] {
  return [o.shop_order_name ?? '', o.name, o.patient_data?.display_name ?? '', o.order_uid, o.uid];
}
