import type { CatalogueSku } from '@rxbridge/rxscale-contract';
import type {
  AdminApiKeyInput,
  AdminGroupInput,
  AdminPharmacyInput,
  AdminPharmacySkuInput,
  AdminSkuInput,
} from './admin-schemas.js';
import { badRequest, conflict } from './http/http-error.js';
import { hashApiKey, newApiKey, newUid, unixNow } from './ids.js';
import type { ApiKeyRecord, GroupRecord, PharmacyRecord, PharmacySkuRecord, SandboxStore } from './store.js';

/** What RxScale's staff set up: groups, pharmacies, keys, the catalogue and each pharmacy's SKUs. */
export class DirectoryService {
  constructor(private readonly store: SandboxStore) {}

  createGroup(input: AdminGroupInput): GroupRecord {
    const group = { uid: input.uid ?? newUid('grp'), display_name: input.display_name };
    this.ensureNew(this.store.groups, group.uid, 'group');
    this.store.groups.set(group.uid, group);
    return group;
  }

  createPharmacy(input: AdminPharmacyInput): PharmacyRecord {
    if (input.group_uid !== undefined && !this.store.groups.has(input.group_uid))
      throw badRequest(`group_uid '${input.group_uid}' does not exist`);
    const pharmacy = {
      uid: input.uid ?? newUid('ph'),
      display_name: input.display_name,
      group_uid: input.group_uid ?? null,
      hidden_sku_type: input.hidden_sku_type,
    };
    this.ensureNew(this.store.pharmacies, pharmacy.uid, 'pharmacy');
    this.store.pharmacies.set(pharmacy.uid, pharmacy);
    return pharmacy;
  }

  /** Returns the key value once; only its hash is kept. */
  createApiKey(input: AdminApiKeyInput): { record: ApiKeyRecord; key: string } {
    if (input.pharmacy_uid !== undefined && !this.store.pharmacies.has(input.pharmacy_uid))
      throw badRequest(`pharmacy_uid '${input.pharmacy_uid}' does not exist`);
    if (input.group_uid !== undefined && !this.store.groups.has(input.group_uid))
      throw badRequest(`group_uid '${input.group_uid}' does not exist`);
    const key = input.key ?? newApiKey();
    const hash = hashApiKey(key);
    if (this.store.apiKeysByHash.has(hash)) throw conflict('an API key with this value already exists');
    const record: ApiKeyRecord = {
      id: input.id ?? newUid('key'),
      name: input.name,
      hash,
      scope:
        input.pharmacy_uid !== undefined
          ? { kind: 'pharmacy', pharmacy_uid: input.pharmacy_uid }
          : { kind: 'group', group_uid: input.group_uid ?? '' },
      permissions: [...new Set(input.permissions)],
      active: true,
      created_at: unixNow(),
    };
    this.ensureNew(this.store.apiKeys, record.id, 'API key');
    this.store.apiKeys.set(record.id, record);
    this.store.apiKeysByHash.set(hash, record);
    return { record, key };
  }

  apiKeyView({ hash: _hash, ...rest }: ApiKeyRecord) {
    return rest;
  }

  createSku(input: AdminSkuInput): CatalogueSku {
    const uid = input.uid ?? newUid('sku');
    this.ensureNew(this.store.skus, uid, 'SKU');
    const productUid = input.product_uid ?? `prod-${uid}`;
    const sku: CatalogueSku = {
      uid,
      display_name: input.display_name,
      pzn: input.pzn,
      product_uid: productUid,
      product_display_name: input.product_display_name ?? input.display_name,
      standard_selling_unit: input.standard_selling_unit,
      unit: input.unit,
      product_handle: input.product_handle ?? slug(input.display_name),
      digital: input.digital,
    };
    this.store.skus.set(uid, sku);
    return sku;
  }

  createPharmacySku(input: AdminPharmacySkuInput): PharmacySkuRecord {
    if (!this.store.pharmacies.has(input.pharmacy_uid))
      throw badRequest(`pharmacy_uid '${input.pharmacy_uid}' does not exist`);
    if (!this.store.skus.has(input.sku_uid)) throw badRequest(`sku_uid '${input.sku_uid}' does not exist`);
    for (const s of this.store.pharmacySkus.values())
      if (s.pharmacy_uid === input.pharmacy_uid && s.sku_uid === input.sku_uid)
        throw conflict(`pharmacy '${input.pharmacy_uid}' already has SKU '${input.sku_uid}' (${s.uid})`);
    const now = unixNow();
    const record: PharmacySkuRecord = {
      uid: input.uid ?? newUid('psku'),
      pharmacy_uid: input.pharmacy_uid,
      sku_uid: input.sku_uid,
      price: input.price,
      stock: input.stock,
      external_id: input.external_id,
      created_at: now,
      updated_at: now,
    };
    this.ensureNew(this.store.pharmacySkus, record.uid, 'pharmacy SKU');
    this.store.pharmacySkus.set(record.uid, record);
    return record;
  }

  private ensureNew(map: Map<string, unknown>, uid: string, what: string): void {
    if (map.has(uid)) throw conflict(`${what} '${uid}' already exists`);
  }
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
