import type {
  Address,
  ApiPermission,
  CatalogueSku,
  DeliveryType,
  DoctorData,
  PatientData,
  PayoutStatus,
  PharmacyOrderStatus,
  PrescriptionFile,
  ShopShippingMethod,
  WebhookEventType,
} from '@rxbridge/rxscale-contract';

export interface GroupRecord {
  uid: string;
  display_name: string;
}

export interface PharmacyRecord {
  uid: string;
  display_name: string;
  group_uid: string | null;
  /** RxScale admins can hide one SKU type from a pharmacy's API (API.md §7.6). */
  hidden_sku_type: 'digital' | 'physical' | null;
}

export type KeyScope = { kind: 'pharmacy'; pharmacy_uid: string } | { kind: 'group'; group_uid: string };

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** sha256 of the key: the key itself is never stored, logged or shown again. */
  hash: string;
  scope: KeyScope;
  permissions: ApiPermission[];
  active: boolean;
  created_at: number;
}

export interface PharmacySkuRecord {
  uid: string;
  pharmacy_uid: string;
  sku_uid: string;
  price: number;
  stock: number;
  external_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface OrderItemRecord {
  uid: string;
  pharmacy_sku_uid: string;
  amount: number;
  total_paid_amount: number;
}

export interface StatusChange {
  at: number;
  from: PharmacyOrderStatus | null;
  to: PharmacyOrderStatus;
  /** `api-key:<id>`, `admin` or `system`; never the key itself. */
  by: string;
  /** What caused it: `PATCH /status`, `PATCH /complete_order`, `admin: create`, `admin: cancel`. */
  via: string;
  comment?: string;
}

export interface ShipmentRecord {
  carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  completed_at: number;
}

export interface OrderRecord {
  uid: string;
  name: string;
  shop_order_name: string | null;
  status: PharmacyOrderStatus;
  external_status: string;
  pharmacy_uid: string;
  data: Record<string, unknown>;
  order_uid: string;
  delivery_address: Address;
  invoice_address: Address;
  priority: number;
  items: OrderItemRecord[];
  shop_shipping_methods: ShopShippingMethod[];
  shipping_costs_amount: number | null;
  shipping_costs_currency: string | null;
  delivery_type: DeliveryType | null;
  patient_data: PatientData | null;
  doctor_data: DoctorData | null;
  prescription_file: PrescriptionFile | null;
  prepaid: number;
  created_at: number;
  updated_at: number;
  history: StatusChange[];
  shipment: ShipmentRecord | null;
}

export interface PayoutRecord {
  pharmacy_uid: string;
  pharmacy_order_uid: string;
  pharmacy_order_name: string;
  pharmacy_order_created_at: number;
  status: PayoutStatus;
  amount: number;
  currency: string;
  component: string;
  routing_created_at: number | null;
  provider_route_id: string | null;
  routing_description: string | null;
}

export interface SubscriptionRecord {
  uid: string;
  pharmacy_uid: string;
  target: string;
  notification_type: WebhookEventType;
  signing_secret: string;
  created_at: number;
}

/** Everything the sandbox knows, in memory (it is a fake RxScale; reset clears it). Insertion order is kept. */
export class SandboxStore {
  groups = new Map<string, GroupRecord>();
  pharmacies = new Map<string, PharmacyRecord>();
  apiKeys = new Map<string, ApiKeyRecord>();
  apiKeysByHash = new Map<string, ApiKeyRecord>();
  skus = new Map<string, CatalogueSku>();
  pharmacySkus = new Map<string, PharmacySkuRecord>();
  orders = new Map<string, OrderRecord>();
  payouts: PayoutRecord[] = [];
  subscriptions = new Map<string, SubscriptionRecord>();

  clear(): void {
    this.groups.clear();
    this.pharmacies.clear();
    this.apiKeys.clear();
    this.apiKeysByHash.clear();
    this.skus.clear();
    this.pharmacySkus.clear();
    this.orders.clear();
    this.payouts = [];
    this.subscriptions.clear();
  }
}
