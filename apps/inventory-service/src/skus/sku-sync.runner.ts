import { Inject, Injectable } from '@nestjs/common';
import { type PharmacySku } from '@rxbridge/rxscale-client';
import { DataSource } from 'typeorm';
import { RXSCALE_CLIENTS, type RxscaleClientPort } from '../rxscale/rxscale-client.port.js';
import { SkuSyncService, type SkuSyncResult } from './sku-sync.service.js';

/**
 * The edge of a SKU sync (on start and on a schedule, later): pages through `GET /pharmacy_skus/` at
 * reconciliation priority, then runs the sync use case in one transaction. Reading first keeps the
 * transaction short and the RxScale calls out of the use case.
 */
@Injectable()
export class SkuSyncRunner {
  constructor(
    private readonly dataSource: DataSource,
    private readonly sync: SkuSyncService,
    @Inject(RXSCALE_CLIENTS) private readonly clients: RxscaleClientPort,
  ) {}

  async syncPharmacy(pharmacyUid: string, signal?: AbortSignal): Promise<SkuSyncResult> {
    const skus: PharmacySku[] = [];
    for await (const sku of this.clients
      .clientFor(pharmacyUid)
      .iteratePharmacySkus({ limit: 200 }, { pharmacyUid, signal })) {
      skus.push(sku);
    }
    return this.dataSource.transaction((manager) => this.sync.syncPharmacy(manager, { pharmacyUid, skus }));
  }
}
