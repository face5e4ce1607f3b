import { Inject, Injectable } from '@nestjs/common';
import {
  type ShipmentDispatched,
  type StockReservationFailed,
  type StockReserved,
} from '@rxbridge/contracts';
import { PharmacyOrder } from '@rxbridge/rxscale-contract';
import {
  CLOCK,
  enqueueEffects,
  type Clock,
  type OutboxMessage,
  type RxscaleCommand,
  type SettledOutcome,
} from '@rxbridge/service-kit';
import { type EntityManager } from 'typeorm';
import { type StockPolicyConfig, stockPolicyFor } from '../config/order-service-config.js';
import {
  patientDataOf,
  sealPatientData,
  PATIENT_DATA_CIPHER,
  type PatientDataCipher,
} from '../patient-data/patient-data-cipher.js';
import { parseOrderCommand, refusalStatusCode } from '../rxscale/order-commands.js';
import {
  initialTransition,
  transition,
  type Initiator,
  type LifecycleOrder,
  type OrderState,
  type RetryTrigger,
  type ShipmentDetails,
  type StockPolicy,
  type Trigger,
} from './order-lifecycle.js';
import { orderCommands, orderMessage, receivedData, stepMessages } from './order-effects.js';
import { OrderError } from './order.errors.js';
import { OrderRepository, type NewOrderLine, type OrderRow } from './order.repository.js';

export interface OrderLifecycleConfig {
  stockPolicy: StockPolicyConfig;
}
export const ORDER_LIFECYCLE_CONFIG = Symbol('order-service.order-lifecycle-config');

/** Names an order; `pharmacyUid`, when given (a token scoped to one pharmacy, an event), must match it. */
export interface OrderRef {
  pharmacyOrderUid: string;
  pharmacyUid?: string | undefined;
}

/** A shipment that reached the patient without a carrier dispatch (pickup), or was handed to the carrier. */
export interface ShipmentHandedOver {
  pharmacy_uid: string;
  pharmacy_order_uid: string;
  shipment_uid: string | null;
  carrier?: string | undefined;
  tracking_number?: string | undefined;
  tracking_url?: string | null | undefined;
}

export interface LifecycleResult {
  pharmacyOrderUid: string;
  state: OrderState;
  /** False for a repeat or a late event that changed nothing. */
  changed: boolean;
}

export interface ReceiveResult extends LifecycleResult {
  /** `stale`: RxScale's `updated_at` is not newer than what is stored (a duplicate or an old update). */
  outcome: 'created' | 'updated' | 'unchanged' | 'stale';
}

/** Who a history entry names: the events' initiators, and `operator` for a person's retry of a refused order. */
const HISTORY_INITIATOR: Record<Trigger['type'], Initiator | 'operator'> = {
  'stock-reserved': 'rxbridge',
  'reservation-failed': 'rxbridge',
  'mark-ready': 'pharmacy',
  'put-on-hold': 'pharmacy',
  resume: 'pharmacy',
  'cancel-by-pharmacy': 'pharmacy',
  'cancelled-by-rxscale': 'rxscale',
  'completed-at-rxscale': 'rxscale',
  'shipment-dispatched': 'pharmacy',
  'shipment-handed-over': 'pharmacy',
  'status-confirmed': 'rxscale',
  'completion-confirmed': 'rxscale',
  'command-refused': 'rxscale',
  retry: 'operator',
};

/**
 * The order use cases (issue 10). Each runs in the caller's transaction (`manager`): it locks the order,
 * asks the state machine, and writes the rows, the `pharmacy.orders.v1` events (outbox) and the RxScale
 * commands (command outbox) together. Nothing here calls RxScale.
 */
@Injectable()
export class OrderLifecycleService {
  constructor(
    private readonly orders: OrderRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PATIENT_DATA_CIPHER) private readonly cipher: PatientDataCipher,
    @Inject(ORDER_LIFECYCLE_CONFIG) private readonly config: OrderLifecycleConfig,
  ) {}

  /**
   * Takes in an order as RxScale has it (the fetched detail, a webhook's data, a safety-net listing): new →
   * stored with its lines and patient data, `pending review` queued, `pharmacy.order.received` published.
   * Known → compared by RxScale's `updated_at`: a duplicate or older copy changes nothing; a newer one that
   * says cancelled or completed closes the order. Newer non-final statuses are echoes of our own changes,
   * which the settled commands already recorded.
   */
  async receive(
    manager: EntityManager,
    input: PharmacyOrder,
    options: {
      /** Just found unknown by the caller: inserted without a lookup first (the insert still checks). */
      probablyNew?: boolean;
      /** Already locked by the caller in this transaction. */
      locked?: OrderRow;
    } = {},
  ): Promise<ReceiveResult> {
    const parsed = PharmacyOrder.safeParse(input);
    if (!parsed.success) {
      const paths = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].join(', ');
      throw new OrderError('order_invalid', `RxScale's order does not match the contract at: ${paths}`);
    }
    const order = parsed.data;
    const now = this.clock.now();
    const initial = initialTransition(order.status);
    const storable = initial.allowed && !(initial.publishReceived && order.order_items.length === 0);
    // An order the caller has just found unknown (its detail was fetched for that) is inserted straight away,
    // saving the lookup; the insert's conflict check still finds one stored meanwhile. Any other copy, and one
    // that could not be stored as new, is looked up first: a known order is compared, never refused.
    if (options.locked) return this.receiveAgain(manager, options.locked, order);
    if (!(options.probablyNew && storable)) {
      const existing = await this.orders.lock(manager, order.uid);
      if (existing) return this.receiveAgain(manager, existing, order);
    }
    if (!initial.allowed) throw new OrderError(initial.code, initial.message);
    if (!storable) throw new OrderError('order_invalid', "RxScale's order has no lines");
    const sealed = sealPatientData(
      this.cipher,
      order.uid,
      patientDataOf(order.patient_data, order.order.delivery_address),
    );
    const lines: NewOrderLine[] = order.order_items.map((item) => ({
      order_item_uid: item.uid,
      sku_uid: item.sku.uid,
      sku_name: item.sku.display_name ?? null,
      pharmacy_sku_uid: item.pharmacy_sku?.uid ?? null,
      external_id: item.pharmacy_sku?.external_id ?? null,
      pzn: item.sku.pzn ?? null,
      quantity: item.amount,
    }));
    const row = {
      pharmacy_order_uid: order.uid,
      pharmacy_uid: order.pharmacy.uid,
      order_uid: order.order.uid,
      name: order.name ?? null,
      state: initial.state,
      held_from: null,
      rxscale_status: order.status,
      rxscale_updated_at: order.updated_at ?? null,
      delivery_type: order.delivery_type?.identifier ?? null,
      priority: order.order.priority ?? null,
      ...sealed,
      received_at: now,
    };
    const needsPerson = initial.state === 'refused';
    const received = {
      at: now,
      trigger: 'received',
      from_state: null,
      to_state: initial.state,
      rxscale_status: order.status,
      initiator: 'rxscale',
      note: needsPerson ? `first seen in ${order.status} at RxScale` : null,
    };
    // the step's events and commands are built first: they go into the insert's statement, written only if
    // the order is stored by it
    const events: OutboxMessage[] = [];
    const reason = `RxScale already had the order in ${order.status} when it was first seen`;
    if (needsPerson) {
      events.push(
        orderMessage('pharmacy.order.transition-refused', now, {
          pharmacy_uid: row.pharmacy_uid,
          pharmacy_order_uid: row.pharmacy_order_uid,
          from: order.status,
          requested: 'pending review',
          refused_by: 'state-machine',
          reason,
          refused_at: now.toISOString(),
        }),
      );
    }
    if (initial.publishReceived) {
      events.push(orderMessage('pharmacy.order.received', now, receivedData(row, lines, order.status, now)));
    }
    const effects = { events, commands: orderCommands(row, initial.commands) };
    if (!(await this.orders.insert(manager, row, lines, received, effects))) {
      // stored meanwhile (or before, when it was taken as new): the one that stored it holds the lock until
      // it commits
      const stored = await this.orders.lock(manager, order.uid);
      return this.receiveAgain(manager, stored!, order);
    }
    if (needsPerson) {
      await this.orders.updateLifecycle(
        manager,
        order.uid,
        {
          state: 'refused',
          held_from: null,
          rxscale_status: order.status,
          refusal: { requested: 'pending review', reason, statusCode: null, from: null },
        },
        now,
      );
    }
    return { pharmacyOrderUid: order.uid, state: initial.state, changed: true, outcome: 'created' };
  }

  async stockReserved(manager: EntityManager, event: StockReserved): Promise<LifecycleResult> {
    const row = await this.load(manager, refOf(event));
    return this.apply(manager, row, { type: 'stock-reserved' });
  }

  /** Follows the pharmacy's policy (`cancel` | `on-hold`, ORDERS_OUT_OF_STOCK_POLICY*) and records which. */
  async reservationFailed(manager: EntityManager, event: StockReservationFailed): Promise<LifecycleResult> {
    const row = await this.load(manager, refOf(event));
    const policy = stockPolicyFor(this.config.stockPolicy, row.pharmacy_uid);
    return this.apply(manager, row, { type: 'reservation-failed', policy, missing: event.missing }, policy);
  }

  async markReady(manager: EntityManager, ref: OrderRef): Promise<LifecycleResult> {
    return this.apply(manager, await this.load(manager, ref), { type: 'mark-ready' });
  }

  async putOnHold(manager: EntityManager, input: OrderRef & { comment: string }): Promise<LifecycleResult> {
    return this.apply(manager, await this.load(manager, input), {
      type: 'put-on-hold',
      comment: input.comment,
    });
  }

  async resume(manager: EntityManager, ref: OrderRef): Promise<LifecycleResult> {
    return this.apply(manager, await this.load(manager, ref), { type: 'resume' });
  }

  async cancelByPharmacy(
    manager: EntityManager,
    input: OrderRef & { reason: string },
  ): Promise<LifecycleResult> {
    return this.apply(manager, await this.load(manager, input), {
      type: 'cancel-by-pharmacy',
      reason: input.reason,
    });
  }

  /** RxScale cancelled the order (usually reached through `receive` with the cancelled order). */
  async cancelledByRxscale(manager: EntityManager, ref: OrderRef): Promise<LifecycleResult> {
    return this.apply(manager, await this.load(manager, ref), { type: 'cancelled-by-rxscale' });
  }

  async shipmentDispatched(manager: EntityManager, event: ShipmentDispatched): Promise<LifecycleResult> {
    const row = await this.load(manager, refOf(event));
    return this.apply(manager, row, { type: 'shipment-dispatched', shipment: shipmentOf(event) });
  }

  async shipmentHandedOver(manager: EntityManager, event: ShipmentHandedOver): Promise<LifecycleResult> {
    const row = await this.load(manager, refOf(event));
    return this.apply(manager, row, { type: 'shipment-handed-over', shipment: shipmentOf(event) });
  }

  /**
   * The command relay's `onOutcome`: runs in the transaction that settles the command. Done → the status is
   * confirmed (`complete_order` done → completed + `pharmacy.order.completed`); refused or failed → the
   * refused state, recorded and published as `pharmacy.order.transition-refused`, not retried. It never throws
   * for an outcome the order no longer cares about: a throw would roll back the settlement and send the
   * command again.
   */
  readonly commandSettled = async (
    manager: EntityManager,
    command: RxscaleCommand,
    outcome: SettledOutcome,
  ): Promise<void> => {
    const parsed = parseOrderCommand(command);
    if (!parsed) return;
    const row = await this.orders.lock(manager, command.targetUid);
    if (!row) return;
    let trigger: Trigger;
    if (outcome.outcome === 'done') {
      trigger =
        parsed.kind === 'order.status'
          ? {
              type: 'status-confirmed',
              status: parsed.payload.status,
              initiator: parsed.payload.initiator,
              comment: parsed.payload.comment,
            }
          : { type: 'completion-confirmed', shipmentUid: parsed.payload.shipment_uid };
    } else {
      trigger = {
        type: 'command-refused',
        requested: parsed.kind === 'order.status' ? parsed.payload.status : 'complete_order',
        reason: outcome.reason.slice(0, 2000) || outcome.outcome,
        statusCode: refusalStatusCode(outcome.reason),
      };
    }
    const result = transition(lifecycleOf(row), trigger);
    if (!result.allowed) {
      await this.orders.appendHistory(manager, row.pharmacy_order_uid, {
        at: this.clock.now(),
        trigger: trigger.type,
        from_state: row.state,
        to_state: row.state,
        rxscale_status: row.rxscale_status,
        initiator: 'rxscale',
        note: `outcome of command ${command.id} ignored (${result.code})`,
      });
      return;
    }
    await this.apply(manager, row, trigger);
  };

  /**
   * An operator's retry of a refused order (`OrderRetryService` re-reads RxScale and builds the trigger):
   * written like every step, with the history naming the operator and the comment, the refusal cleared.
   */
  async retry(manager: EntityManager, row: OrderRow, trigger: RetryTrigger): Promise<LifecycleResult> {
    return this.apply(manager, row, trigger);
  }

  private async load(manager: EntityManager, ref: OrderRef): Promise<OrderRow> {
    const row = await this.orders.lock(manager, ref.pharmacyOrderUid);
    if (!row) throw new OrderError('order_not_found', 'no such order');
    if (ref.pharmacyUid !== undefined && ref.pharmacyUid !== row.pharmacy_uid) {
      throw new OrderError('order_pharmacy_mismatch', 'the order belongs to another pharmacy');
    }
    return row;
  }

  private async receiveAgain(
    manager: EntityManager,
    row: OrderRow,
    order: PharmacyOrder,
  ): Promise<ReceiveResult> {
    const incoming = order.updated_at ?? null;
    const stored = row.rxscale_updated_at;
    const base = { pharmacyOrderUid: row.pharmacy_order_uid, state: row.state, changed: false };
    if (order.pharmacy.uid !== row.pharmacy_uid) {
      throw new OrderError('order_pharmacy_mismatch', 'the order belongs to another pharmacy');
    }
    // RxScale's updated_at is in seconds: a cancellation or completion within the second of our own echo
    // carries the same value and must still close the order (repeats of a final status are `stay`).
    const final = order.status === 'cancelled' || order.status === 'completed';
    if (incoming !== null && stored !== null && (incoming < stored || (incoming === stored && !final))) {
      return { ...base, outcome: incoming === stored ? 'unchanged' : 'stale' };
    }
    if (incoming !== null)
      await this.orders.recordRxscaleUpdatedAt(manager, row.pharmacy_order_uid, incoming);
    const trigger: Trigger | null =
      order.status === 'cancelled'
        ? { type: 'cancelled-by-rxscale' }
        : order.status === 'completed'
          ? { type: 'completed-at-rxscale' }
          : null;
    if (!trigger) return { ...base, outcome: 'unchanged' };
    const result = await this.apply(manager, row, trigger);
    return { ...result, outcome: result.changed ? 'updated' : 'unchanged' };
  }

  private async apply(
    manager: EntityManager,
    row: OrderRow,
    trigger: Trigger,
    stockPolicy?: StockPolicy,
  ): Promise<LifecycleResult> {
    const result = transition(lifecycleOf(row), trigger);
    if (!result.allowed) throw new OrderError(result.code, result.message);
    const now = this.clock.now();
    const uid = row.pharmacy_order_uid;
    if (result.withdrawPending)
      await this.orders.withdrawPendingCommands(manager, uid, `order ${result.next.state}`);
    const effects = {
      events: await stepMessages(this.orders, manager, row, now, result.events),
      commands: orderCommands(row, result.commands),
    };
    if (result.changed) {
      const refusal =
        trigger.type === 'command-refused' && result.next.state === 'refused'
          ? {
              requested: trigger.requested,
              reason: trigger.reason,
              statusCode: trigger.statusCode,
              from: row.state,
            }
          : trigger.type === 'retry'
            ? null
            : undefined;
      await this.orders.updateLifecycle(
        manager,
        uid,
        {
          state: result.next.state,
          held_from: result.next.heldFrom,
          rxscale_status: result.next.rxscaleStatus,
          ...(stockPolicy ? { stock_policy: stockPolicy } : {}),
          ...(trigger.type === 'shipment-dispatched' || trigger.type === 'shipment-handed-over'
            ? { shipment_uid: trigger.shipment.shipment_uid }
            : {}),
          ...(refusal !== undefined ? { refusal } : {}),
        },
        now,
        {
          at: now,
          trigger: trigger.type,
          from_state: row.state,
          to_state: result.next.state,
          rxscale_status: result.next.rxscaleStatus,
          initiator: HISTORY_INITIATOR[trigger.type],
          note: noteOf(trigger),
        },
        effects,
      );
    } else await enqueueEffects(manager, effects);
    return { pharmacyOrderUid: uid, state: result.next.state, changed: result.changed };
  }
}

function lifecycleOf(row: OrderRow): LifecycleOrder {
  return {
    state: row.state,
    heldFrom: row.held_from,
    rxscaleStatus: row.rxscale_status,
    refusedFrom: row.refused_from,
  };
}

function refOf(event: { pharmacy_uid: string; pharmacy_order_uid: string }): OrderRef {
  return { pharmacyOrderUid: event.pharmacy_order_uid, pharmacyUid: event.pharmacy_uid };
}

function shipmentOf(event: {
  shipment_uid: string | null;
  carrier?: string | undefined;
  tracking_number?: string | undefined;
  tracking_url?: string | null | undefined;
}): ShipmentDetails {
  return {
    shipment_uid: event.shipment_uid,
    ...(event.carrier ? { carrier: event.carrier } : {}),
    ...(event.tracking_number ? { tracking_number: event.tracking_number } : {}),
    ...(event.tracking_url ? { tracking_url: event.tracking_url } : {}),
  };
}

/** What the history records of a trigger: comments and reasons (about items and states), no patient data. */
function noteOf(trigger: Trigger): string | null {
  if (trigger.type === 'put-on-hold') return trigger.comment.trim();
  if (trigger.type === 'cancel-by-pharmacy') return trigger.reason.trim();
  if (trigger.type === 'command-refused') return trigger.reason;
  if (trigger.type === 'reservation-failed') return `policy ${trigger.policy}`;
  if (trigger.type === 'status-confirmed') return `RxScale confirmed ${trigger.status}`;
  if (trigger.type === 'retry') {
    const comment = trigger.comment?.trim();
    return `retry of ${trigger.requested} with RxScale in ${trigger.observed}${comment ? `: ${comment}` : ''}`;
  }
  return null;
}
