import { type RxscaleSourcesConfig } from '@rxbridge/service-kit';
import { type DataSource } from 'typeorm';

/**
 * The pharmacies the schedules work on: those the RxScale sources list, plus every pharmacy the schema
 * already knows (an article from the PMS or a SKU from a sync), for a group key that lists none.
 */
export async function inventoryPharmacies(
  dataSource: DataSource,
  rxscale: RxscaleSourcesConfig,
): Promise<string[]> {
  const known = await dataSource.query<{ pharmacy_uid: string }[]>(
    'SELECT pharmacy_uid FROM article UNION SELECT pharmacy_uid FROM pharmacy_sku',
  );
  const all = new Set([...rxscale.sources.flatMap((s) => s.pharmacies), ...known.map((r) => r.pharmacy_uid)]);
  return [...all].sort();
}
