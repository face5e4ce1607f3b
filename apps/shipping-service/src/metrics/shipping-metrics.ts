import { type ServiceMetrics } from '@rxbridge/service-kit';
import { Gauge, Histogram } from 'prom-client';
import { type DataSource } from 'typeorm';
import { SHIPMENT_STATES, type Fulfilment } from '../shipments/shipment-lifecycle.js';
import { type Shipment } from '../shipments/shipment.repository.js';

/**
 * shipping-service's own series on the kit's registry:
 * - rxbridge_shipments{state}: shipments per state, read from the database at scrape time (every replica
 *   reports the same fleet-wide figure: take `max`, not `sum`, across pods)
 * - rxbridge_shipments_flagged: shipments flagged for a person (cancelled after they left), the one to alert on
 * - rxbridge_shipment_ready_to_left_seconds{fulfilment}: from "ready" (shipment expected) to dispatched or
 *   handed over, observed by the replica that recorded it
 */
export class ShippingMetrics {
  private readonly byState: Gauge<'state'>;
  private readonly flagged: Gauge;
  private readonly readyToLeft: Histogram<'fulfilment'>;

  constructor(
    private readonly metrics: ServiceMetrics,
    private readonly dataSource: DataSource,
  ) {
    const registers = [metrics.registry];
    this.byState = new Gauge({
      name: 'rxbridge_shipments',
      help: 'Shipments by state (fleet-wide, read from the database at scrape time)',
      labelNames: ['state'],
      registers,
    });
    this.flagged = new Gauge({
      name: 'rxbridge_shipments_flagged',
      help: 'Shipments flagged for a person: the order was cancelled after it left or was collected',
      registers,
    });
    this.readyToLeft = new Histogram({
      name: 'rxbridge_shipment_ready_to_left_seconds',
      help: 'From the order being ready (shipment expected) to dispatched with a carrier or handed over',
      labelNames: ['fulfilment'],
      buckets: [10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 3 * 24 * 3600],
      registers,
    });
  }

  /** Registers the scrape-time collector; returns its removal (call it before the data source closes). */
  collect(): () => void {
    return this.metrics.addCollector('shipments_by_state', async () => {
      const rows = await this.dataSource.query<{ state: string; n: number }[]>(
        'SELECT state, count(*)::int AS n FROM shipment GROUP BY state',
      );
      const counts = new Map(rows.map((r) => [r.state, r.n]));
      for (const state of SHIPMENT_STATES) this.byState.set({ state }, counts.get(state) ?? 0);
      this.flagged.set(counts.get('flagged') ?? 0);
    });
  }

  /** A shipment left (dispatched or handed over) for the first time: how long it waited since ready. */
  shipmentLeft(shipment: Shipment): void {
    if (shipment.state !== 'dispatched' && shipment.state !== 'handed-over') return;
    const left = shipment.dispatchedAt ?? shipment.handedOverAt;
    if (!left) return;
    const fulfilment: Fulfilment = shipment.fulfilment;
    this.readyToLeft.observe(
      { fulfilment },
      Math.max(0, (left.getTime() - shipment.expectedAt.getTime()) / 1000),
    );
  }
}
