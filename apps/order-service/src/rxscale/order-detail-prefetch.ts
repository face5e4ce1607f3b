import { Inject, Injectable } from '@nestjs/common';
import { type CloudEvent, type RxScaleCloudEvent } from '@rxbridge/contracts';
import { DataSource } from 'typeorm';
import { ORDER_WEBHOOK_TYPES, orderOfWebhook } from '../kafka/order-webhook.js';
import { OrderRepository } from '../orders/order.repository.js';
import { ORDER_DETAIL_SOURCE, type FetchedOrder, type OrderDetailSource } from './order-detail.source.js';

/** A fetched detail not taken within this long is dropped (its record was a duplicate, or went elsewhere). */
const KEEP_MS = 60_000;

/**
 * Reads the detail of a run's new orders before the run's transaction opens (the kit's `prepare` hook,
 * docs/design.md "Order service"): all at once, so 20 new orders in a run wait for one round of RxScale reads
 * instead of 20 one after another, and no order row or connection is held while the rate budget makes them
 * wait. The intake takes each detail once; whatever this cannot fetch, the intake fetches itself inside the
 * transaction, where its failure is classified as before.
 */
@Injectable()
export class OrderDetailPrefetch {
  private readonly ready = new Map<string, { order: FetchedOrder; at: number }>();

  constructor(
    @Inject(ORDER_DETAIL_SOURCE) private readonly detail: OrderDetailSource,
    private readonly orders: OrderRepository,
    private readonly dataSource: DataSource,
  ) {}

  readonly prepare = async (events: readonly CloudEvent[]): Promise<void> => {
    const now = Date.now();
    for (const [uid, entry] of this.ready) if (now - entry.at > KEEP_MS) this.ready.delete(uid);
    const wanted = new Map<string, string>();
    for (const event of events) {
      if (!ORDER_WEBHOOK_TYPES.includes(event.type)) continue;
      // the kit parsed it against the registry: an RxScale webhook event of this type
      const read = orderOfWebhook(event as RxScaleCloudEvent);
      if (!read.ok) continue;
      // unchecked webhook data: the intake refuses an order naming no pharmacy, so it is skipped here
      const uid: unknown = read.order.uid;
      const pharmacyUid: unknown = (read.order.pharmacy as { uid?: unknown } | undefined)?.uid;
      if (typeof uid === 'string' && typeof pharmacyUid === 'string' && !this.ready.has(uid))
        wanted.set(uid, pharmacyUid);
    }
    if (wanted.size === 0) return;
    const known = await this.orders.knownUids(this.dataSource.manager, [...wanted.keys()]);
    await Promise.all(
      [...wanted]
        .filter(([uid]) => !known.has(uid))
        .map(async ([uid, pharmacyUid]) => {
          try {
            this.ready.set(uid, { order: await this.detail.fetch(pharmacyUid, uid), at: Date.now() });
          } catch {
            // the intake fetches it again in the transaction and its failure is handled there
          }
        }),
    );
  };

  /** The detail fetched for this order, once. */
  take(pharmacyOrderUid: string): FetchedOrder | undefined {
    const entry = this.ready.get(pharmacyOrderUid);
    this.ready.delete(pharmacyOrderUid);
    return entry?.order;
  }
}
