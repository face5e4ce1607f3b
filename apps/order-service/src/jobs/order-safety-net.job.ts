import { type PharmacyOrderStatus } from '@rxbridge/rxscale-contract';
import { IntervalJob, type RxscaleSources, type ServiceLogger } from '@rxbridge/service-kit';
import { type DataSource } from 'typeorm';
import { OrderMetrics } from '../metrics/order-metrics.js';
import { OrderRepository } from '../orders/order.repository.js';
import { type OrderIntake } from '../kafka/order-intake.js';

export interface SafetyNetOptions {
  dataSource: DataSource;
  sources: RxscaleSources;
  intake: OrderIntake;
  orders: OrderRepository;
  metrics: OrderMetrics;
  logger: ServiceLogger;
  intervalMs: number;
  /** Pages of PAGE_SIZE read per pharmacy and status in one run. */
  maxPages: number;
}

const PAGE_SIZE = 100;

export interface SafetyNetSummary extends Record<string, unknown> {
  pharmacies: number;
  listed: number;
  found: number;
  failed: number;
}

/**
 * The safety net for lost webhooks (issue 10): at start and every ORDERS_SAFETY_NET_INTERVAL_MS, for each
 * pharmacy, lists its orders `waiting for pharmacy` and its `cancelled` ones at RxScale (listing calls take
 * the rate budget's lowest priority, `reconciliation`) and takes each in through `OrderIntake`, the webhook's
 * own path: an unknown waiting order is fetched and stored; a cancellation of an order still open here closes
 * it. Cancelled orders never stored here are skipped (no fetch). Each order is its own transaction, so one
 * bad order does not stop the run. Pharmacies: those the sources list plus those of stored orders (a group key
 * without a list names none).
 */
export function orderSafetyNetJob(options: SafetyNetOptions): IntervalJob {
  return new IntervalJob({
    name: 'order-safety-net',
    intervalMs: options.intervalMs,
    firstRunAfterMs: 0,
    logger: options.logger,
    run: () => runSafetyNet(options),
  });
}

async function runSafetyNet(options: SafetyNetOptions): Promise<SafetyNetSummary> {
  const { dataSource, sources, intake, orders } = options;
  const stored = await dataSource.query<{ pharmacy_uid: string }[]>(
    'SELECT DISTINCT pharmacy_uid FROM orders',
  );
  const pharmacies = new Set<string>([
    ...sources.sources().flatMap((s) => s.pharmacies),
    ...stored.map((r) => r.pharmacy_uid),
  ]);
  const summary: SafetyNetSummary = { pharmacies: 0, listed: 0, found: 0, failed: 0 };
  for (const pharmacyUid of pharmacies) {
    const client = sources.sourceOf(pharmacyUid)?.client;
    if (!client) continue;
    summary.pharmacies++;
    for (const status of ['waiting for pharmacy', 'cancelled'] as PharmacyOrderStatus[]) {
      const listing = client.iteratePharmacyOrders(
        { status, limit: PAGE_SIZE },
        { pharmacyUid, priority: 'reconciliation' },
      );
      let seen = 0;
      for await (const order of listing) {
        summary.listed++;
        if (++seen > options.maxPages * PAGE_SIZE) break;
        try {
          const found = await dataSource.transaction(async (manager) => {
            const known = await orders.find(manager, order.uid);
            if (status === 'cancelled' && (!known || known.closed_at !== null)) return false;
            const result = await intake.takeIn(manager, order, 'safety-net');
            return result.outcome === 'created' || result.outcome === 'updated';
          });
          if (found) {
            summary.found++;
            options.metrics.safetyNetFinds.inc({ pharmacy: pharmacyUid });
          }
        } catch (error) {
          summary.failed++;
          options.logger.warn(
            {
              err_class: (error as Error).name,
              code: (error as { code?: unknown }).code,
              pharmacy_uid: pharmacyUid,
            },
            'safety net could not take an order in',
          );
        }
      }
    }
  }
  return summary;
}
