import { Injectable } from '@nestjs/common';
import { type RxscaleCommand, type ServiceMetrics, type SettledOutcome } from '@rxbridge/service-kit';
import { Counter, Gauge, Histogram } from 'prom-client';
import { type DataSource, type EntityManager } from 'typeorm';
import { ORDER_COMMAND_KINDS } from '../rxscale/order-commands.js';

/**
 * order-service's own series on the kit's registry (issue 10): orders by state and pharmacy (read from the
 * database at scrape), time from receipt to `pending review` confirmed at RxScale, refused transitions,
 * safety-net finds, orders taken in / closed, and operator retries of refused orders. RxScale calls per order = the kit's
 * `rxbridge_rxscale_calls_total` over `rxbridge_orders_received_total` (both per pharmacy).
 */
@Injectable()
export class OrderMetrics {
  readonly ordersByState: Gauge<'state' | 'pharmacy'>;
  readonly toPendingReview: Histogram<'pharmacy'>;
  readonly refusedTransitions: Counter<'pharmacy' | 'refused_by'>;
  readonly safetyNetFinds: Counter<'pharmacy'>;
  readonly ordersReceived: Counter<'pharmacy' | 'source'>;
  readonly retries: Counter<'pharmacy' | 'outcome'>;
  readonly eventsForUnknownOrders: Counter<'type'>;

  constructor(metrics: ServiceMetrics) {
    const registers = [metrics.registry];
    this.ordersByState = new Gauge({
      name: 'rxbridge_orders',
      help: 'Orders stored, by local state and pharmacy',
      labelNames: ['state', 'pharmacy'],
      registers,
    });
    this.toPendingReview = new Histogram({
      name: 'rxbridge_order_pending_review_seconds',
      help: 'From queueing pending review (a new order stored, or a refused one retried) to RxScale confirming it',
      labelNames: ['pharmacy'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.refusedTransitions = new Counter({
      name: 'rxbridge_order_transitions_refused_total',
      help: 'Status changes refused (by RxScale, or by the state machine for an order first seen too far along)',
      labelNames: ['pharmacy', 'refused_by'],
      registers,
    });
    this.safetyNetFinds = new Counter({
      name: 'rxbridge_order_safety_net_finds_total',
      help: 'Orders the safety net took in or changed that the webhooks had missed',
      labelNames: ['pharmacy'],
      registers,
    });
    this.ordersReceived = new Counter({
      name: 'rxbridge_orders_received_total',
      help: 'New orders stored, by pharmacy and what brought them (webhook, safety-net)',
      labelNames: ['pharmacy', 'source'],
      registers,
    });
    this.retries = new Counter({
      name: 'rxbridge_order_retries_total',
      help: 'Operator retries of refused orders, by outcome: retried (left refused), not_possible (RxScale allows neither), rxscale_error (the re-read failed)',
      labelNames: ['pharmacy', 'outcome'],
      registers,
    });
    this.eventsForUnknownOrders = new Counter({
      name: 'rxbridge_order_events_for_unknown_orders_total',
      help: "Stock and shipment events about an order this deployment never stored (another deployment's, on a shared broker), by event type: counted and left alone",
      labelNames: ['type'],
      registers,
    });
  }

  /** Refreshes `rxbridge_orders` at every scrape. */
  collectFrom(metrics: ServiceMetrics, dataSource: DataSource): () => void {
    return metrics.addCollector('orders_by_state', async () => {
      const rows = await dataSource.query<{ state: string; pharmacy_uid: string; n: number }[]>(
        'SELECT state, pharmacy_uid, count(*)::int AS n FROM orders GROUP BY state, pharmacy_uid',
      );
      this.ordersByState.reset();
      for (const r of rows) this.ordersByState.set({ state: r.state, pharmacy: r.pharmacy_uid }, r.n);
    });
  }

  /**
   * The relay's onOutcome: `commandSettled` (in the settling transaction), then the series: pending review
   * confirmed → its delay since the order was stored; refused or failed → a refused transition.
   */
  observingSettlements(
    settle: (manager: EntityManager, command: RxscaleCommand, outcome: SettledOutcome) => Promise<void>,
  ): (manager: EntityManager, command: RxscaleCommand, outcome: SettledOutcome) => Promise<void> {
    return async (manager, command, outcome) => {
      await settle(manager, command, outcome);
      const pharmacy = command.pharmacyUid ?? '';
      if (outcome.outcome !== 'done') {
        this.refused(pharmacy, 'rxscale');
        return;
      }
      const status = (command.payload as { status?: unknown } | null)?.status;
      if (command.kind !== ORDER_COMMAND_KINDS.status || status !== 'pending review') return;
      // queued in the transaction that took the order in: its time is the receipt's, and no query is needed
      this.toPendingReview.observe({ pharmacy }, (Date.now() - command.createdAt.getTime()) / 1000);
    };
  }

  received(pharmacy: string, source: string): void {
    this.ordersReceived.inc({ pharmacy, source });
  }

  retried(pharmacy: string, outcome: 'retried' | 'not_possible' | 'rxscale_error'): void {
    this.retries.inc({ pharmacy, outcome });
  }

  refused(pharmacy: string, refusedBy: 'rxscale' | 'state-machine'): void {
    this.refusedTransitions.inc({ pharmacy, refused_by: refusedBy });
  }
}
