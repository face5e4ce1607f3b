import {
  totalPages,
  type ExternalIdUpdateRequest,
  type ListPharmacySkusQuery,
  type PharmacySku,
  type PharmacySkuPage,
  type PharmacySkuUpdateRequest,
} from '@rxbridge/rxscale-contract';
import { notFound } from './http/http-error.js';
import { unixNow } from './ids.js';
import type { SandboxSettings } from './settings.js';
import type { PharmacySkuRecord, SandboxStore } from './store.js';
import type { Views } from './views.js';
import type { EventSink } from './webhooks/webhook-dispatcher.js';

/** Pharmacy SKUs (API.md §7.6-§7.9), with the account's hidden SKU type left out everywhere. */
export class SkusService {
  constructor(
    private readonly store: SandboxStore,
    private readonly views: Views,
    private readonly events: EventSink,
    private readonly settings: SandboxSettings,
  ) {}

  list(pharmacyUid: string, query: ListPharmacySkusQuery): PharmacySkuPage {
    const visible = [...this.store.pharmacySkus.values()].filter(
      (s) => s.pharmacy_uid === pharmacyUid && this.isVisible(s),
    );
    const start = query.page * query.limit;
    return {
      data: visible.slice(start, start + query.limit).map((s) => this.views.pharmacySku(s)),
      totalRegistries: visible.length,
      totalPages: totalPages(visible.length, query.limit),
    };
  }

  update(pharmacyUid: string, uid: string, req: PharmacySkuUpdateRequest): PharmacySku {
    const sku = this.find(pharmacyUid, uid);
    const stockChanged = req.stock !== undefined && req.stock !== sku.stock;
    if (req.price !== undefined) sku.price = req.price;
    if (req.stock !== undefined) sku.stock = req.stock;
    if (req.external_id !== undefined) sku.external_id = req.external_id;
    return this.touched(sku, stockChanged && this.settings.echoApiStockChanges);
  }

  updateExternalId(pharmacyUid: string, uid: string, req: ExternalIdUpdateRequest): PharmacySku {
    const sku = this.find(pharmacyUid, uid);
    sku.external_id = req.external_id;
    return this.touched(sku, false);
  }

  /** A change "outside your system" (Pharmacy Portal): always announced (API.md §11.6). */
  portalStock(uid: string, stock: number): PharmacySku {
    const sku = this.store.pharmacySkus.get(uid);
    if (!sku) throw notFound();
    sku.stock = stock;
    return this.touched(sku, true);
  }

  private touched(sku: PharmacySkuRecord, announce: boolean): PharmacySku {
    sku.updated_at = unixNow();
    const view = this.views.pharmacySku(sku);
    if (announce) this.events.emit(sku.pharmacy_uid, 'pharmacy_sku_stock_updated', view);
    return view;
  }

  private find(pharmacyUid: string, uid: string): PharmacySkuRecord {
    const sku = this.store.pharmacySkus.get(uid);
    // Hidden SKU types and other pharmacies' SKUs answer 404 (API.md §7.7).
    if (!sku || sku.pharmacy_uid !== pharmacyUid || !this.isVisible(sku)) throw notFound();
    return sku;
  }

  private isVisible(sku: PharmacySkuRecord): boolean {
    const hidden = this.store.pharmacies.get(sku.pharmacy_uid)?.hidden_sku_type ?? null;
    if (hidden === null) return true;
    const digital = this.store.skus.get(sku.sku_uid)?.digital ?? false;
    return hidden === 'digital' ? !digital : digital;
  }
}
