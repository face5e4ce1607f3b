import { Inject, Injectable } from '@nestjs/common';
import { RxScaleError, type PharmacyOrderStatus } from '@rxbridge/rxscale-client';
import { PharmacySettableStatus } from '@rxbridge/rxscale-contract';
import { DataSource, type EntityManager } from 'typeorm';
import { OrderMetrics } from '../metrics/order-metrics.js';
import { ORDER_DETAIL_SOURCE, type OrderDetailSource } from '../rxscale/order-detail.source.js';
import { parseOrderCommand } from '../rxscale/order-commands.js';
import { rxscaleReadRefusal } from '../rxscale/rxscale-read-refusal.js';
import {
  nothingToRetry,
  type LifecycleCommand,
  type RequestedChange,
  type RetryTrigger,
} from './order-lifecycle.js';
import { OrderLifecycleService, type LifecycleResult } from './order-lifecycle.service.js';
import { OrderError } from './order.errors.js';
import { OrderRepository, type OrderRow } from './order.repository.js';

export interface RetryInput {
  pharmacyOrderUid: string;
  /** The operator's note for the history: what was resolved (about states and items, never people). */
  comment?: string | undefined;
}

/**
 * An operator retries a refused order (issue 10, `POST /orders/{uid}/retry`) once a person resolved the
 * cause. RxScale is re-read first, under the pharmacy's key at the `order-status` priority (a person waits
 * for the answer, and it decides an order's status like the status changes do), outside any transaction: no
 * order row is locked while RxScale answers. Then, in one transaction, the order is locked again and the
 * state machine's `retry` decides from what RxScale showed; the refused command is queued again through the
 * command outbox, never sent from here. A re-read that fails changes nothing (503 when RxScale may answer
 * later, 502 when it refused the read).
 */
@Injectable()
export class OrderRetryService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OrderRepository) private readonly orders: OrderRepository,
    @Inject(OrderLifecycleService) private readonly lifecycle: OrderLifecycleService,
    @Inject(ORDER_DETAIL_SOURCE) private readonly details: OrderDetailSource,
    @Inject(OrderMetrics) private readonly metrics: OrderMetrics,
  ) {}

  async retry(input: RetryInput): Promise<LifecycleResult> {
    const uid = input.pharmacyOrderUid;
    const row = await this.orders.find(this.dataSource.manager, uid);
    if (!row) throw new OrderError('order_not_found', 'no such order');
    // nothing to retry: answered without spending an RxScale call
    if (row.state !== 'refused') {
      const refusal = nothingToRetry(row.state);
      throw new OrderError(refusal.code, refusal.message);
    }
    const observed = await this.reread(row);
    try {
      const result = await this.dataSource.transaction(async (manager) => {
        const locked = await this.orders.lock(manager, uid);
        if (!locked) throw new OrderError('order_not_found', 'no such order');
        const requested = requestedOf(locked);
        const trigger: RetryTrigger = {
          type: 'retry',
          requested,
          observed,
          commands: await this.commandsToQueueAgain(manager, locked, requested, input.comment),
          comment: input.comment,
        };
        return this.lifecycle.retry(manager, locked, trigger);
      });
      this.metrics.retried(row.pharmacy_uid, 'retried');
      return result;
    } catch (error) {
      if (error instanceof OrderError && error.code === 'retry_not_possible')
        this.metrics.retried(row.pharmacy_uid, 'not_possible');
      throw error;
    }
  }

  private async reread(row: OrderRow): Promise<PharmacyOrderStatus> {
    try {
      const order = await this.details.fetch(row.pharmacy_uid, row.pharmacy_order_uid, {
        priority: 'order-status',
      });
      return order.status;
    } catch (error) {
      if (!(error instanceof RxScaleError)) throw error;
      this.metrics.retried(row.pharmacy_uid, 'rxscale_error');
      throw rxscaleReadRefusal(error, 'the re-read of the order');
    }
  }

  /**
   * The refused command and what the refusal withdrew after it, as the command log holds them (comment and
   * shipment details included). Housekeeping removes settled commands after a while: then the change is
   * rebuilt from what the order recorded (an on-hold needs the operator's comment for RxScale).
   */
  private async commandsToQueueAgain(
    manager: EntityManager,
    row: OrderRow,
    requested: RequestedChange,
    comment: string | undefined,
  ): Promise<LifecycleCommand[]> {
    const logged = (await this.orders.refusedCommands(manager, row.pharmacy_order_uid))
      .map(parseOrderCommand)
      .filter((c) => c !== null);
    const first = logged[0];
    const firstRequested =
      first === undefined ? null : first.kind === 'order.complete' ? 'complete_order' : first.payload.status;
    if (first && firstRequested === requested) return logged;
    if (requested === 'complete_order')
      return [{ kind: 'order.complete', payload: { shipment_uid: row.shipment_uid } }];
    if (requested === 'on-hold' && !comment)
      throw new OrderError(
        'comment_required',
        "the refused on-hold is no longer in the command log: the retry's comment is sent to RxScale with it",
      );
    return [
      {
        kind: 'order.status',
        payload: { status: requested, initiator: 'pharmacy', ...(comment ? { comment } : {}) },
      },
    ];
  }
}

function requestedOf(row: OrderRow): RequestedChange {
  if (row.refused_requested === 'complete_order') return 'complete_order';
  const parsed = PharmacySettableStatus.safeParse(row.refused_requested);
  if (!parsed.success)
    throw new OrderError('retry_not_possible', 'the order does not record which change was refused');
  return parsed.data;
}
