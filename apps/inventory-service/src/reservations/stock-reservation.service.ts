import { Inject, Injectable } from '@nestjs/common';
import {
  buildEvent,
  EventSources,
  type MissingItem,
  type OrderCancelled,
  type OrderCompleted,
  type OrderReceived,
  type StockLine,
} from '@rxbridge/contracts';
import { CLOCK, enqueueEvent, type Clock } from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { PharmacySkuRepository } from '../skus/pharmacy-sku.repository.js';
import { availableOf, enqueueLevelChanges, inventoryMessage } from '../stock/stock-level-events.js';
import { StockRepository, type ArticleChange } from '../stock/stock.repository.js';
import { ReservationError } from './reservation.errors.js';
import {
  ReservationRepository,
  type ReservationLine,
  type ReservationState,
} from './reservation.repository.js';

export type ReserveResult =
  | { outcome: 'reserved'; lines: StockLine[] }
  | { outcome: 'failed'; missing: MissingItem[] }
  /** The order was seen before (a replay, or cancelled before it arrived): nothing changed. */
  | { outcome: 'already-handled'; state: ReservationState };

export type SettleResult =
  | { outcome: 'released' | 'deducted'; lines: StockLine[] }
  | { outcome: 'nothing-held'; state: ReservationState | 'unknown' };

function stockLine(l: ReservationLine): StockLine {
  // external_id is the PMS article id the line was reserved against, so consumers always have it
  return { pharmacy_sku_uid: l.pharmacySkuUid, external_id: l.articleId, pzn: l.pzn, quantity: l.quantity };
}

/**
 * Reserves, releases and deducts stock for orders. Every line or none: the order's articles are locked
 * (in key order, so competing orders queue instead of deadlocking) before availability is checked, so of
 * two orders competing for the last unit on any replica exactly one gets it.
 */
@Injectable()
export class StockReservationService {
  constructor(
    private readonly reservations: ReservationRepository,
    private readonly stock: StockRepository,
    private readonly skus: PharmacySkuRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** On `pharmacy.order.received`: `pharmacy.stock.reserved`, or `pharmacy.stock.reservation-failed` with what is missing. */
  async reserve(manager: EntityManager, order: OrderReceived): Promise<ReserveResult> {
    const at = this.clock.now();
    const { pharmacy_uid: pharmacyUid, pharmacy_order_uid: orderUid } = order;
    for (const l of order.lines)
      if (!l.pharmacy_sku_uid && !l.external_id && !l.pzn)
        throw new ReservationError('order_line_unidentified');
    const claim = await this.reservations.claim(manager, {
      pharmacyUid,
      pharmacyOrderUid: orderUid,
      state: 'held',
      at,
    });
    if (!claim.claimed) return { outcome: 'already-handled', state: claim.state };

    const articleIds = await this.stock.resolveArticles(
      manager,
      pharmacyUid,
      order.lines.map((l) => ({
        pharmacySkuUid: l.pharmacy_sku_uid,
        externalId: l.external_id ?? null,
        pzn: l.pzn,
      })),
    );
    const locked = await this.stock.lockArticles(
      manager,
      pharmacyUid,
      articleIds.filter((id): id is string => id !== null),
    );
    const remaining = new Map([...locked].map(([id, a]) => [id, availableOf(a.onHand, a.reserved)]));
    const missing: MissingItem[] = [];
    const lines: ReservationLine[] = [];
    order.lines.forEach((l, i) => {
      const articleId = articleIds[i] ?? null;
      const left = articleId === null ? 0 : (remaining.get(articleId) ?? 0);
      if (articleId === null || left < l.quantity) {
        missing.push({
          pharmacy_sku_uid: l.pharmacy_sku_uid,
          external_id: articleId ?? l.external_id ?? null,
          pzn: l.pzn,
          requested: l.quantity,
          available: left,
        });
        return;
      }
      remaining.set(articleId, left - l.quantity);
      lines.push({
        orderItemUid: l.order_item_uid,
        articleId,
        pharmacySkuUid: l.pharmacy_sku_uid,
        externalId: l.external_id ?? null,
        pzn: l.pzn,
        quantity: l.quantity,
      });
    });

    if (missing.length > 0) {
      await this.reservations.markFailed(manager, orderUid, at);
      await enqueueEvent(
        manager,
        inventoryMessage(
          buildEvent(
            'pharmacy.stock.reservation-failed',
            { pharmacy_uid: pharmacyUid, pharmacy_order_uid: orderUid, missing, failed_at: at.toISOString() },
            { source: EventSources.inventoryService, time: at },
          ),
        ),
      );
      return { outcome: 'failed', missing };
    }

    await this.reservations.insertLines(manager, pharmacyUid, orderUid, lines);
    const changes = await this.stock.moveStock(
      manager,
      pharmacyUid,
      lines.map((l) => ({ articleId: l.articleId, onHandDelta: 0, reservedDelta: l.quantity })),
      'reservation',
      orderUid,
      at,
    );
    const reserved = lines.map(stockLine);
    await enqueueEvent(
      manager,
      inventoryMessage(
        buildEvent(
          'pharmacy.stock.reserved',
          {
            pharmacy_uid: pharmacyUid,
            pharmacy_order_uid: orderUid,
            lines: reserved,
            reserved_at: at.toISOString(),
          },
          { source: EventSources.inventoryService, time: at },
        ),
      ),
    );
    await this.announce(manager, pharmacyUid, changes, at);
    return { outcome: 'reserved', lines: reserved };
  }

  /**
   * On `pharmacy.order.cancelled`: the held units are available again. Idempotent; a cancellation of an
   * order not seen yet leaves a released marker, so the order arriving late reserves nothing.
   */
  async release(manager: EntityManager, cancelled: OrderCancelled): Promise<SettleResult> {
    const at = this.clock.now();
    const orderUid = cancelled.pharmacy_order_uid;
    const settled = await this.reservations.settle(manager, orderUid, 'released', at);
    if (!settled) {
      const claim = await this.reservations.claim(manager, {
        pharmacyUid: cancelled.pharmacy_uid,
        pharmacyOrderUid: orderUid,
        state: 'released',
        at,
      });
      return { outcome: 'nothing-held', state: claim.claimed ? 'unknown' : claim.state };
    }
    const lines = await this.reservations.lines(manager, orderUid);
    await this.stock.lockArticles(
      manager,
      settled.pharmacyUid,
      lines.map((l) => l.articleId),
    );
    const changes = await this.stock.moveStock(
      manager,
      settled.pharmacyUid,
      lines.map((l) => ({ articleId: l.articleId, onHandDelta: 0, reservedDelta: -l.quantity })),
      'release',
      orderUid,
      at,
    );
    const released = lines.map(stockLine);
    await enqueueEvent(
      manager,
      inventoryMessage(
        buildEvent(
          'pharmacy.stock.released',
          {
            pharmacy_uid: settled.pharmacyUid,
            pharmacy_order_uid: orderUid,
            lines: released,
            reason: 'order cancelled',
            released_at: at.toISOString(),
          },
          { source: EventSources.inventoryService, time: at },
        ),
      ),
    );
    await this.announce(manager, settled.pharmacyUid, changes, at);
    return { outcome: 'released', lines: released };
  }

  /**
   * On `pharmacy.order.completed`: the held units leave the shelf (on hand and reserved both drop, so
   * available stays). RxScale has lowered its own count by the same amount on complete_order, which
   * counted those units twice there (our last push had already left them out); we record its lowered
   * value and queue a push, which restores the true available value. Idempotent.
   */
  async deduct(manager: EntityManager, completed: OrderCompleted): Promise<SettleResult> {
    const at = this.clock.now();
    const orderUid = completed.pharmacy_order_uid;
    const settled = await this.reservations.settle(manager, orderUid, 'deducted', at);
    if (!settled) {
      return {
        outcome: 'nothing-held',
        state: (await this.reservations.state(manager, orderUid)) ?? 'unknown',
      };
    }
    const lines = await this.reservations.lines(manager, orderUid);
    await this.stock.lockArticles(
      manager,
      settled.pharmacyUid,
      lines.map((l) => l.articleId),
    );
    const changes = await this.stock.moveStock(
      manager,
      settled.pharmacyUid,
      lines.map((l) => ({ articleId: l.articleId, onHandDelta: -l.quantity, reservedDelta: -l.quantity })),
      'deduction',
      orderUid,
      at,
    );
    await this.skus.recordRxscaleDeduction(
      manager,
      settled.pharmacyUid,
      lines.map((l) => ({ articleId: l.articleId, quantity: l.quantity })),
      at,
    );
    const deducted = lines.map(stockLine);
    await enqueueEvent(
      manager,
      inventoryMessage(
        buildEvent(
          'pharmacy.stock.deducted',
          {
            pharmacy_uid: settled.pharmacyUid,
            pharmacy_order_uid: orderUid,
            lines: deducted,
            deducted_at: at.toISOString(),
          },
          { source: EventSources.inventoryService, time: at },
        ),
      ),
    );
    await this.announce(manager, settled.pharmacyUid, changes, at);
    return { outcome: 'deducted', lines: deducted };
  }

  private async announce(
    manager: EntityManager,
    pharmacyUid: string,
    changes: ArticleChange[],
    at: Date,
  ): Promise<void> {
    await enqueueLevelChanges(manager, pharmacyUid, changes, 'reservation', at);
    await this.skus.requestPushes(
      manager,
      pharmacyUid,
      changes.map((c) => c.articleId),
    );
  }
}
