import type {
  Address,
  Payout,
  PharmacyOrder,
  PharmacyOrderDetail,
  PharmacySku,
} from '@rxbridge/rxscale-contract';
import type { OrderRecord, PayoutRecord, PharmacySkuRecord, SandboxStore } from './store.js';

/**
 * Turns records into the shapes RxScale answers with (API.md §7-§8, §11.6). The API list, the detail and
 * the webhook differ the way the docs say they do: shipping costs top-level in the API but under `order`
 * in webhooks, product fields and `pharmacy_sku` only in webhooks, patient data only in detail and webhooks.
 */
export class Views {
  constructor(private readonly store: SandboxStore) {}

  pharmacySku(rec: PharmacySkuRecord): PharmacySku {
    const sku = this.store.skus.get(rec.sku_uid);
    if (!sku) throw new Error(`pharmacy SKU ${rec.uid} refers to unknown SKU ${rec.sku_uid}`);
    return {
      uid: rec.uid,
      external_id: rec.external_id,
      price: rec.price,
      stock: rec.stock,
      pharmacy: rec.pharmacy_uid,
      sku: { ...sku },
      created_at: rec.created_at,
      updated_at: rec.updated_at,
      deleted_at: null,
    };
  }

  orderListItem(order: OrderRecord): PharmacyOrder {
    return {
      ...this.orderCommon(order),
      order: {
        uid: order.order_uid,
        delivery_address: { ...order.delivery_address },
        invoice_address: { ...order.invoice_address },
        priority: order.priority,
      },
      order_items: order.items.map((item) => {
        const sku = this.skuOfItem(item.pharmacy_sku_uid);
        return {
          uid: item.uid,
          amount: item.amount,
          sku: { uid: sku.uid, display_name: sku.display_name, pzn: sku.pzn },
          total_paid_amount: item.total_paid_amount,
        };
      }),
      shop_shipping_methods: order.shop_shipping_methods.map((m) => ({ ...m })),
      shipping_costs_amount: order.shipping_costs_amount,
      shipping_costs_currency: order.shipping_costs_currency,
    };
  }

  orderDetail(order: OrderRecord): PharmacyOrderDetail {
    return {
      ...this.orderListItem(order),
      patient_data: order.patient_data ? { ...order.patient_data } : null,
      doctor_data: order.doctor_data ? { ...order.doctor_data } : null,
      prescription_file: order.prescription_file ? { ...order.prescription_file } : null,
      prepaid: order.prepaid,
      payouts: this.store.payouts
        .filter((p) => p.pharmacy_order_uid === order.uid)
        .map((p) => this.payout(p)),
    };
  }

  orderWebhookData(order: OrderRecord): PharmacyOrder {
    const noProvince = ({ province: _p, ...rest }: Address): Address => rest;
    return {
      ...this.orderCommon(order),
      order: {
        uid: order.order_uid,
        delivery_address: noProvince(order.delivery_address),
        invoice_address: noProvince(order.invoice_address),
        shipping_costs_amount: order.shipping_costs_amount,
        shipping_costs_currency: order.shipping_costs_currency,
        priority: order.priority,
      },
      order_items: order.items.map((item) => {
        const psku = this.store.pharmacySkus.get(item.pharmacy_sku_uid);
        const sku = this.skuOfItem(item.pharmacy_sku_uid);
        return {
          uid: item.uid,
          amount: item.amount,
          sku: {
            uid: sku.uid,
            display_name: sku.display_name,
            pzn: sku.pzn,
            product_uid: sku.product_uid,
            product_display_name: sku.product_display_name,
            product_handle: sku.product_handle,
          },
          pharmacy_sku: psku
            ? { uid: psku.uid, external_id: psku.external_id, price: psku.price, stock: psku.stock }
            : null,
        };
      }),
      patient_data: order.patient_data ? { ...order.patient_data } : null,
    };
  }

  payout(p: PayoutRecord): Payout {
    return {
      status: p.status,
      amount: p.amount,
      currency: p.currency,
      component: p.component,
      pharmacy_order_uid: p.pharmacy_order_uid,
      pharmacy_order_name: p.pharmacy_order_name,
      pharmacy_order_created_at: p.pharmacy_order_created_at,
      routing_created_at: p.routing_created_at,
      provider_route_id: p.provider_route_id,
      routing_description: p.routing_description,
    };
  }

  private orderCommon(order: OrderRecord) {
    const pharmacy = this.store.pharmacies.get(order.pharmacy_uid);
    return {
      uid: order.uid,
      status: order.status,
      name: order.name,
      shop_order_name: order.shop_order_name,
      external_status: order.external_status,
      data: { ...order.data },
      created_at: order.created_at,
      updated_at: order.updated_at,
      deleted_at: null,
      pharmacy: { uid: order.pharmacy_uid, display_name: pharmacy?.display_name ?? null },
      delivery_type: order.delivery_type ? { ...order.delivery_type } : null,
    };
  }

  private skuOfItem(pharmacySkuUid: string) {
    const psku = this.store.pharmacySkus.get(pharmacySkuUid);
    const sku = psku ? this.store.skus.get(psku.sku_uid) : undefined;
    if (!sku) throw new Error(`order line refers to unknown pharmacy SKU ${pharmacySkuUid}`);
    return sku;
  }
}
