// One file on purpose: the state machine is read as a whole (states, triggers, the transition table and the
// pure functions over it); split, a reader could no longer check a state's every way out in one place.
import {
  COMPLETE_ORDER_ALLOWED_FROM,
  isAllowedStatusTransition,
  type PharmacyOrderStatus,
  type PharmacySettableStatus,
} from '@rxbridge/rxscale-contract';
import { type LifecycleRefusalCode } from './order.errors.js';

/**
 * The order state machine (issue 10): pure, no I/O. RxScale's statuses (API.md §9) are the contract's;
 * RxScale's own transition map (`PHARMACY_STATUS_TRANSITIONS`) is reused to check every status change before
 * it is queued. The local states are the pharmacy's steps between those statuses.
 */

export const ORDER_STATES = [
  /** Stored; the change to `pending review` is queued and not yet confirmed by RxScale. */
  'received',
  /** RxScale confirmed `pending review`; inventory is reserving the lines. */
  'awaiting_stock',
  /** Stock reserved; `in-progress` queued or confirmed: picking and packing. */
  'in_progress',
  /** Packed; `ready_for_pickup` queued or confirmed. */
  'ready',
  /** The shipment left (or the patient collected it); `complete_order` queued. */
  'shipped',
  'completed',
  'cancelled',
  /** Paused with a comment (`on-hold`): missing stock under the on-hold policy, or by a person. */
  'on_hold',
  /** RxScale refused a change (400/409/422) or a command failed for good: a person has to look. */
  'refused',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

export const CLOSED_STATES: readonly OrderState[] = ['completed', 'cancelled'];

/** What a pharmacy does when stock cannot be reserved (DESIGN.md §1 step 4), configured per pharmacy. */
export const STOCK_POLICIES = ['cancel', 'on-hold'] as const;
export type StockPolicy = (typeof STOCK_POLICIES)[number];

export type Initiator = 'rxscale' | 'rxbridge' | 'pharmacy';

/** A line inventory could not reserve; identifies the item the way the pharmacy knows it, no patient data. */
export interface MissingStock {
  pharmacy_sku_uid: string | null;
  external_id?: string | null | undefined;
  pzn: string | null;
  requested: number;
  available: number;
}

/** What `complete_order` carries (DESIGN.md §11); `shipment_uid` stays local (for `pharmacy.order.completed`). */
export interface ShipmentDetails {
  shipment_uid: string | null;
  carrier?: string | undefined;
  tracking_number?: string | undefined;
  tracking_url?: string | null | undefined;
}

export interface LifecycleOrder {
  state: OrderState;
  /** The state an `on_hold` order was in when it was held; null otherwise. */
  heldFrom: OrderState | null;
  /** The RxScale status last confirmed (by a settled command, a final status from RxScale, a retry's re-read). */
  rxscaleStatus: PharmacyOrderStatus | null;
  /**
   * The state a `refused` order was in when RxScale refused its change, where a retry takes it back; null (or
   * absent) for an order refused at first sight, which had no state of its own yet.
   */
  refusedFrom?: OrderState | null;
}

export type RequestedChange = PharmacySettableStatus | 'complete_order';

export type Trigger =
  | { type: 'stock-reserved' }
  | { type: 'reservation-failed'; policy: StockPolicy; missing: readonly MissingStock[] }
  | { type: 'mark-ready' }
  | { type: 'put-on-hold'; comment: string }
  | { type: 'resume' }
  | { type: 'cancel-by-pharmacy'; reason: string }
  | { type: 'cancelled-by-rxscale' }
  | { type: 'completed-at-rxscale' }
  | { type: 'shipment-dispatched'; shipment: ShipmentDetails }
  | { type: 'shipment-handed-over'; shipment: ShipmentDetails }
  | {
      type: 'status-confirmed';
      status: PharmacySettableStatus;
      initiator: Initiator;
      comment?: string | undefined;
    }
  | { type: 'completion-confirmed'; shipmentUid: string | null }
  | {
      type: 'command-refused';
      requested: RequestedChange;
      reason: string;
      statusCode: number | null;
    }
  | RetryTrigger;
export type TriggerType = Trigger['type'];

export const TRIGGER_TYPES = [
  'stock-reserved',
  'reservation-failed',
  'mark-ready',
  'put-on-hold',
  'resume',
  'cancel-by-pharmacy',
  'cancelled-by-rxscale',
  'completed-at-rxscale',
  'shipment-dispatched',
  'shipment-handed-over',
  'status-confirmed',
  'completion-confirmed',
  'command-refused',
  'retry',
] as const satisfies readonly TriggerType[];

/**
 * An operator retries a refused order (issue 10) once a person resolved the cause. `observed` is RxScale's
 * status re-read at that moment (the REST handler reads it; the machine never calls RxScale); `commands` are
 * the refused command and whatever the refusal withdrew after it, as the command log has them (rebuilt from
 * `requested` when the log no longer holds them). See `retryTarget` for what the machine makes of it.
 */
export interface RetryTrigger {
  type: 'retry';
  requested: RequestedChange;
  observed: PharmacyOrderStatus;
  commands: readonly LifecycleCommand[];
  comment?: string | undefined;
}

/** A `pharmacy.orders.v1` event to publish; the service adds uids and timestamps. */
export type LifecycleEvent =
  | {
      type: 'pharmacy.order.status-changed';
      from: PharmacyOrderStatus | null;
      to: PharmacyOrderStatus;
      initiator: Initiator;
      reason?: string | undefined;
    }
  | { type: 'pharmacy.order.ready-for-pickup'; initiator: Initiator }
  | { type: 'pharmacy.order.completed'; shipmentUid: string | null }
  | {
      type: 'pharmacy.order.cancelled';
      previousStatus: PharmacyOrderStatus | null;
      initiator: Initiator;
      reason?: string | undefined;
    }
  | {
      type: 'pharmacy.order.transition-refused';
      from: PharmacyOrderStatus | null;
      requested: RequestedChange;
      reason: string;
      statusCode: number | null;
    }
  /** An order refused at first sight that a retry takes in after all (the service adds the lines). */
  | { type: 'pharmacy.order.received'; status: PharmacyOrderStatus };

/** An RxScale command to queue (service-kit's command outbox); one RxScale call each. */
export type LifecycleCommand =
  | {
      kind: 'order.status';
      payload: {
        status: PharmacySettableStatus;
        comment?: string | undefined;
        /** Kept for the `status-changed` event once RxScale confirms; never sent. */
        initiator: Initiator;
      };
    }
  | { kind: 'order.complete'; payload: ShipmentDetails };

export type Transition =
  | {
      allowed: true;
      next: LifecycleOrder;
      /** False when the trigger was a repeat or arrived late: nothing to write but the fact it was seen. */
      changed: boolean;
      events: LifecycleEvent[];
      commands: LifecycleCommand[];
      /** Pending RxScale commands of the order must not be sent any more (cancelled, completed, refused). */
      withdrawPending: boolean;
    }
  | { allowed: false; code: LifecycleRefusalCode; message: string };

/**
 * Where each trigger leads from each state. A missing entry is refused (`order_closed` from a closed state,
 * `transition_not_allowed` otherwise). `stay` accepts the trigger without a change: repeats, and late events
 * that lost a race (stock reserved for an order RxScale has cancelled meanwhile) must not dead-letter.
 * The markers resolve at run time: `by-policy` (reservation failed), `held-from` (resume),
 * `by-confirmation` (received → awaiting_stock once `pending review` is confirmed), `refused-if-cancel`
 * (a cancelled order whose own cancel command RxScale refused), `by-retry` (see `retryTarget`).
 */
type Target =
  OrderState | 'stay' | 'by-policy' | 'held-from' | 'by-confirmation' | 'refused-if-cancel' | 'by-retry';

export const LIFECYCLE_TRANSITIONS: Readonly<Record<OrderState, Partial<Record<TriggerType, Target>>>> = {
  received: {
    'stock-reserved': 'in_progress',
    'reservation-failed': 'by-policy',
    'put-on-hold': 'on_hold',
    'cancel-by-pharmacy': 'cancelled',
    'cancelled-by-rxscale': 'cancelled',
    'completed-at-rxscale': 'completed',
    'status-confirmed': 'by-confirmation',
    'command-refused': 'refused',
  },
  awaiting_stock: {
    'stock-reserved': 'in_progress',
    'reservation-failed': 'by-policy',
    'put-on-hold': 'on_hold',
    'cancel-by-pharmacy': 'cancelled',
    'cancelled-by-rxscale': 'cancelled',
    'completed-at-rxscale': 'completed',
    'status-confirmed': 'stay',
    'command-refused': 'refused',
  },
  in_progress: {
    'stock-reserved': 'stay',
    'mark-ready': 'ready',
    'put-on-hold': 'on_hold',
    'cancel-by-pharmacy': 'cancelled',
    'cancelled-by-rxscale': 'cancelled',
    'completed-at-rxscale': 'completed',
    // a shipment recorded before anyone said "packed": ready_for_pickup goes first, then complete_order
    'shipment-dispatched': 'shipped',
    'shipment-handed-over': 'shipped',
    'status-confirmed': 'stay',
    'command-refused': 'refused',
  },
  ready: {
    'stock-reserved': 'stay',
    'mark-ready': 'stay',
    'put-on-hold': 'on_hold',
    'cancel-by-pharmacy': 'cancelled',
    'cancelled-by-rxscale': 'cancelled',
    'completed-at-rxscale': 'completed',
    'shipment-dispatched': 'shipped',
    'shipment-handed-over': 'shipped',
    'status-confirmed': 'stay',
    'command-refused': 'refused',
  },
  shipped: {
    'stock-reserved': 'stay',
    'mark-ready': 'stay',
    // the parcel left: only RxScale can still cancel (shipping-service then flags the shipment)
    'cancelled-by-rxscale': 'cancelled',
    'completed-at-rxscale': 'completed',
    'shipment-dispatched': 'stay',
    'shipment-handed-over': 'stay',
    'status-confirmed': 'stay',
    'completion-confirmed': 'completed',
    'command-refused': 'refused',
  },
  completed: {
    'stock-reserved': 'stay',
    'reservation-failed': 'stay',
    'completed-at-rxscale': 'stay',
    'shipment-dispatched': 'stay',
    'shipment-handed-over': 'stay',
    'status-confirmed': 'stay',
    'completion-confirmed': 'stay',
    'command-refused': 'stay',
  },
  cancelled: {
    'stock-reserved': 'stay',
    'reservation-failed': 'stay',
    'cancel-by-pharmacy': 'stay',
    'cancelled-by-rxscale': 'stay',
    'shipment-dispatched': 'stay',
    'shipment-handed-over': 'stay',
    'status-confirmed': 'stay',
    'completion-confirmed': 'stay',
    'command-refused': 'refused-if-cancel',
  },
  on_hold: {
    'stock-reserved': 'stay',
    'reservation-failed': 'stay',
    resume: 'held-from',
    'cancel-by-pharmacy': 'cancelled',
    'cancelled-by-rxscale': 'cancelled',
    'completed-at-rxscale': 'completed',
    'status-confirmed': 'stay',
    'command-refused': 'refused',
  },
  refused: {
    'stock-reserved': 'stay',
    'reservation-failed': 'stay',
    'cancel-by-pharmacy': 'cancelled',
    'cancelled-by-rxscale': 'cancelled',
    'completed-at-rxscale': 'completed',
    'status-confirmed': 'stay',
    'command-refused': 'stay',
    retry: 'by-retry',
  },
};

/** The RxScale status an order in `state` has once its queued commands ran (API.md §9). */
const INTENDED_STATUS: Readonly<Record<OrderState, PharmacyOrderStatus | null>> = {
  received: 'pending review',
  awaiting_stock: 'pending review',
  in_progress: 'in-progress',
  ready: 'ready_for_pickup',
  // complete_order is queued, not yet confirmed
  shipped: 'ready_for_pickup',
  completed: 'completed',
  cancelled: 'cancelled',
  on_hold: 'on-hold',
  refused: null,
};

export function intendedStatus(order: LifecycleOrder): PharmacyOrderStatus | null {
  return INTENDED_STATUS[order.state] ?? order.rxscaleStatus;
}

/** The first step: an order RxScale assigned, as fetched. Statuses past `pending review` need a person. */
export type InitialTransition =
  | {
      allowed: true;
      state: OrderState;
      /** False for an order first seen already closed: it is stored for the record, nothing is published. */
      publishReceived: boolean;
      commands: LifecycleCommand[];
    }
  | { allowed: false; code: LifecycleRefusalCode; message: string };

export function initialTransition(rxscaleStatus: PharmacyOrderStatus): InitialTransition {
  switch (rxscaleStatus) {
    case 'waiting for pharmacy':
      return {
        allowed: true,
        state: 'received',
        publishReceived: true,
        commands: [statusCommand('pending review', 'rxbridge')],
      };
    case 'pending review':
      // taken in by another path (an earlier run) before it was stored here: nothing to change at RxScale
      return { allowed: true, state: 'awaiting_stock', publishReceived: true, commands: [] };
    case 'completed':
    case 'cancelled':
      return { allowed: true, state: rxscaleStatus, publishReceived: false, commands: [] };
    case 'in-progress':
    case 'ready_for_pickup':
    case 'on-hold':
      // RxScale has the order further along than anything stored here: stock was never reserved by us
      return { allowed: true, state: 'refused', publishReceived: false, commands: [] };
    case 'init':
      return {
        allowed: false,
        code: 'order_not_assigned',
        message: 'the order is still in init at RxScale: not assigned to the pharmacy yet',
      };
  }
}

/** (order, trigger) → next state, events and commands, or a refusal with a code. Never throws. */
export function transition(order: LifecycleOrder, trigger: Trigger): Transition {
  const target = LIFECYCLE_TRANSITIONS[order.state][trigger.type];
  if (target === undefined) return refuseUnlisted(order, trigger);
  const inputProblem = checkInput(trigger);
  if (inputProblem) return inputProblem;
  if (target === 'by-retry') {
    return trigger.type === 'retry' ? retry(order, trigger) : refuseUnlisted(order, trigger);
  }
  const to = resolveTarget(order, trigger, target);
  if (to === 'stay') return stay(order, trigger);
  return move(order, trigger, to);
}

function refuseUnlisted(order: LifecycleOrder, trigger: Trigger): Transition {
  if (trigger.type === 'retry') return nothingToRetry(order.state);
  if (CLOSED_STATES.includes(order.state)) {
    return refusal('order_closed', `the order is ${order.state}: ${trigger.type} is not possible`);
  }
  return refusal(
    'transition_not_allowed',
    `${trigger.type} is not possible while the order is ${order.state}`,
  );
}

/** A retry of an order that is not refused: checked before RxScale is re-read, and again under the lock. */
export function nothingToRetry(state: OrderState): Extract<Transition, { allowed: false }> {
  return {
    allowed: false,
    code: 'nothing_to_retry',
    message: `the order is ${state}, not refused: there is nothing to retry`,
  };
}

function checkInput(trigger: Trigger): Transition | undefined {
  if (trigger.type === 'put-on-hold' && trigger.comment.trim() === '') {
    return refusal('comment_required', 'putting an order on hold needs a non-blank comment (API.md §7.4)');
  }
  if (trigger.type === 'cancel-by-pharmacy' && trigger.reason.trim() === '') {
    return refusal('reason_required', 'cancelling an order needs a non-blank reason');
  }
  if (trigger.type === 'reservation-failed' && trigger.missing.length === 0) {
    return refusal('missing_items_required', 'a failed reservation names at least one missing item');
  }
  return undefined;
}

function resolveTarget(
  order: LifecycleOrder,
  trigger: Trigger,
  target: Exclude<Target, 'by-retry'>,
): OrderState | 'stay' {
  if (target === 'by-policy') {
    return trigger.type === 'reservation-failed' && trigger.policy === 'cancel' ? 'cancelled' : 'on_hold';
  }
  if (target === 'held-from') {
    return order.heldFrom === 'in_progress' || order.heldFrom === 'ready' ? 'in_progress' : 'awaiting_stock';
  }
  if (target === 'by-confirmation') {
    return trigger.type === 'status-confirmed' && trigger.status === 'pending review'
      ? 'awaiting_stock'
      : 'stay';
  }
  if (target === 'refused-if-cancel') {
    return trigger.type === 'command-refused' && trigger.requested === 'cancelled' ? 'refused' : 'stay';
  }
  return target;
}

/** Accepted without a change of state; confirmations still record what RxScale now says. */
function stay(order: LifecycleOrder, trigger: Trigger): Transition {
  let next = order;
  if (trigger.type === 'stock-reserved' && order.state === 'on_hold' && !isPastReservation(order.heldFrom)) {
    // reserved while a person held the order: resuming then goes on to picking
    next = { ...order, heldFrom: 'in_progress' };
  }
  const confirmed = confirmedStatus(trigger);
  // a confirmation that lost the race with a final status says nothing new
  if (confirmed !== null && confirmed !== order.rxscaleStatus && !isFinalStatus(order.rxscaleStatus)) {
    next = { ...next, rxscaleStatus: confirmed };
  }
  const events = statusChangedEvents(order, next, trigger);
  const changed = next !== order;
  return { allowed: true, next, changed, events, commands: [], withdrawPending: false };
}

function isFinalStatus(status: PharmacyOrderStatus | null): boolean {
  return status === 'completed' || status === 'cancelled';
}

function isPastReservation(state: OrderState | null): boolean {
  return state === 'in_progress' || state === 'ready';
}

function move(order: LifecycleOrder, trigger: Trigger, to: OrderState): Transition {
  const commands = commandsFor(order, trigger, to);
  for (let i = 0; i < commands.length; i++) {
    const problem = checkAgainstRxscale(order, commands, i);
    if (problem) return problem;
  }
  const next: LifecycleOrder = {
    state: to,
    // a held order that is refused keeps where it was held from, for a retry back to on_hold
    heldFrom: to === 'on_hold' || (to === 'refused' && order.state === 'on_hold') ? heldFromOf(order) : null,
    rxscaleStatus: confirmedStatus(trigger) ?? order.rxscaleStatus,
    ...(to === 'refused' ? { refusedFrom: order.state } : {}),
  };
  const events: LifecycleEvent[] = [
    ...statusChangedEvents(order, next, trigger),
    ...eventsFor(order, trigger, to),
  ];
  const withdrawPending =
    to === 'cancelled' || to === 'completed' || to === 'refused' || trigger.type === 'cancel-by-pharmacy';
  return { allowed: true, next, changed: true, events, commands, withdrawPending };
}

function heldFromOf(order: LifecycleOrder): OrderState | null {
  return order.state === 'on_hold' ? order.heldFrom : order.state;
}

/**
 * An operator's retry of a refused order, by what RxScale shows now (`observed`, re-read by the caller):
 * - `completed` / `cancelled`: RxScale closed it; the order closes the same way and publishes what
 *   completed-at-rxscale / cancelled-by-rxscale publish (a cancellation releases the stock), except that an
 *   order whose own cancel was refused was published cancelled already.
 * - the refused change itself (someone made it in RxScale's Pharmacy Portal): adopted, the order goes back
 *   where it was with nothing queued for that change (what the refusal withdrew after it is queued again);
 *   back in `received` with `pending review` at RxScale is `awaiting_stock`, as a confirmation would make it.
 * - a status from which RxScale's map allows the refused change: back where it was, the refused command (and
 *   what the refusal withdrew after it) queued again through the command outbox.
 * - anything else: retry_not_possible, nothing changes.
 * An order refused at first sight (`refusedFrom` null) had no state of its own: it goes where a new order
 * goes (`received` with `pending review` queued, or `awaiting_stock` when RxScale has that already) and is
 * published `received` now, so inventory reserves its stock.
 */
function retry(order: LifecycleOrder, trigger: RetryTrigger): Transition {
  const observed = trigger.observed;
  const firstSeen = (order.refusedFrom ?? null) === null;
  let to: OrderState;
  let commands: LifecycleCommand[] = [];
  if (observed === 'completed' || observed === 'cancelled') {
    to = observed;
  } else {
    const chain = firstSeen ? [statusCommand('pending review', 'rxbridge')] : [...trigger.commands];
    if (chain.length === 0) {
      return refusal('retry_not_possible', 'the refused command is not known: cancel the order instead');
    }
    commands = targetOf(chain[0]!) === observed ? chain.slice(1) : chain;
    let from: PharmacyOrderStatus = observed;
    for (const c of commands) {
      const allowed =
        c.kind === 'order.complete'
          ? COMPLETE_ORDER_ALLOWED_FROM.includes(from)
          : isAllowedStatusTransition(from, c.payload.status);
      if (!allowed) {
        const wanted = c.kind === 'order.complete' ? 'complete_order' : c.payload.status;
        return refusal(
          'retry_not_possible',
          `RxScale has the order in ${observed}, from which it does not allow ${wanted}: change the status ` +
            "in RxScale's Pharmacy Portal, or cancel the order",
        );
      }
      from = targetOf(c);
    }
    const back = order.refusedFrom ?? 'received';
    to = back === 'received' && observed === 'pending review' ? 'awaiting_stock' : back;
  }
  const next: LifecycleOrder = {
    state: to,
    heldFrom: to === 'on_hold' ? order.heldFrom : null,
    rxscaleStatus: observed,
  };
  const events: LifecycleEvent[] = [...statusChangedEvents(order, next, trigger)];
  if (to === 'completed') events.push({ type: 'pharmacy.order.completed', shipmentUid: null });
  if (to === 'cancelled' && order.refusedFrom !== 'cancelled') {
    events.push({
      type: 'pharmacy.order.cancelled',
      previousStatus: order.rxscaleStatus,
      initiator: 'rxscale',
    });
  }
  if (firstSeen && !CLOSED_STATES.includes(to)) {
    events.push({ type: 'pharmacy.order.received', status: observed });
  }
  return {
    allowed: true,
    next,
    changed: true,
    events,
    commands,
    withdrawPending: CLOSED_STATES.includes(to),
  };
}

/** The RxScale status a command leads to once it succeeds. */
function targetOf(command: LifecycleCommand): PharmacyOrderStatus {
  return command.kind === 'order.complete' ? 'completed' : command.payload.status;
}

/** RxScale's own map decides whether a queued change can succeed (PHARMACY_STATUS_TRANSITIONS, API.md §9). */
function checkAgainstRxscale(
  order: LifecycleOrder,
  commands: readonly LifecycleCommand[],
  index: number,
): Transition | undefined {
  // a pharmacy cancel withdraws what was queued, so it starts from the last confirmed status
  const first = commands[0]?.kind === 'order.status' && commands[0].payload.status === 'cancelled';
  let from = first ? (order.rxscaleStatus ?? intendedStatus(order)) : intendedStatus(order);
  for (let i = 0; i < index; i++) {
    const c = commands[i]!;
    from = c.kind === 'order.status' ? c.payload.status : 'completed';
  }
  const command = commands[index]!;
  if (from === null) return undefined; // unknown at RxScale: let RxScale decide and record its answer
  if (command.kind === 'order.complete') {
    return COMPLETE_ORDER_ALLOWED_FROM.includes(from)
      ? undefined
      : refusal('rxscale_transition_not_allowed', `RxScale does not complete an order in ${from}`);
  }
  return isAllowedStatusTransition(from, command.payload.status)
    ? undefined
    : refusal(
        'rxscale_transition_not_allowed',
        `RxScale does not move an order from ${from} to ${command.payload.status}`,
      );
}

function commandsFor(order: LifecycleOrder, trigger: Trigger, to: OrderState): LifecycleCommand[] {
  switch (trigger.type) {
    case 'stock-reserved':
      return [statusCommand('in-progress', 'rxbridge')];
    case 'reservation-failed':
      return to === 'cancelled'
        ? [statusCommand('cancelled', 'rxbridge')]
        : [statusCommand('on-hold', 'rxbridge', missingItemsComment(trigger.missing))];
    case 'mark-ready':
      return [statusCommand('ready_for_pickup', 'pharmacy')];
    case 'put-on-hold':
      return [statusCommand('on-hold', 'pharmacy', trigger.comment.trim())];
    case 'resume':
      return [statusCommand(to === 'in_progress' ? 'in-progress' : 'pending review', 'pharmacy')];
    case 'cancel-by-pharmacy':
      return [statusCommand('cancelled', 'pharmacy')];
    case 'shipment-dispatched':
    case 'shipment-handed-over': {
      const complete: LifecycleCommand = { kind: 'order.complete', payload: trigger.shipment };
      return order.state === 'in_progress'
        ? [statusCommand('ready_for_pickup', 'rxbridge'), complete]
        : [complete];
    }
    case 'cancelled-by-rxscale':
    case 'completed-at-rxscale':
    case 'status-confirmed':
    case 'completion-confirmed':
    case 'command-refused':
    case 'retry':
      return [];
  }
}

function eventsFor(order: LifecycleOrder, trigger: Trigger, to: OrderState): LifecycleEvent[] {
  const previousStatus = order.rxscaleStatus;
  switch (trigger.type) {
    case 'reservation-failed':
      return to === 'cancelled'
        ? [
            {
              type: 'pharmacy.order.cancelled',
              previousStatus,
              initiator: 'rxbridge',
              reason: missingItemsComment(trigger.missing),
            },
          ]
        : [];
    case 'mark-ready':
      return [{ type: 'pharmacy.order.ready-for-pickup', initiator: 'pharmacy' }];
    case 'cancel-by-pharmacy':
      return [
        {
          type: 'pharmacy.order.cancelled',
          previousStatus,
          initiator: 'pharmacy',
          reason: trigger.reason.trim(),
        },
      ];
    case 'cancelled-by-rxscale':
      return [{ type: 'pharmacy.order.cancelled', previousStatus, initiator: 'rxscale' }];
    case 'completed-at-rxscale':
      return [{ type: 'pharmacy.order.completed', shipmentUid: null }];
    case 'completion-confirmed':
      return [{ type: 'pharmacy.order.completed', shipmentUid: trigger.shipmentUid }];
    case 'shipment-dispatched':
    case 'shipment-handed-over':
      return order.state === 'in_progress'
        ? [{ type: 'pharmacy.order.ready-for-pickup', initiator: 'rxbridge' }]
        : [];
    case 'command-refused':
      return [
        {
          type: 'pharmacy.order.transition-refused',
          from: order.rxscaleStatus,
          requested: trigger.requested,
          reason: trigger.reason,
          statusCode: trigger.statusCode,
        },
      ];
    case 'stock-reserved':
    case 'put-on-hold':
    case 'resume':
    case 'status-confirmed':
    case 'retry':
      return [];
  }
}

/** What RxScale now says, when the trigger tells: confirmations and RxScale's own final statuses. */
function confirmedStatus(trigger: Trigger): PharmacyOrderStatus | null {
  if (trigger.type === 'status-confirmed') return trigger.status;
  if (trigger.type === 'completion-confirmed' || trigger.type === 'completed-at-rxscale') return 'completed';
  if (trigger.type === 'cancelled-by-rxscale') return 'cancelled';
  return null;
}

/** Every change of the known RxScale status is published once (OrderStatusChanged: "every move"). */
function statusChangedEvents(
  order: LifecycleOrder,
  next: LifecycleOrder,
  trigger: Trigger,
): LifecycleEvent[] {
  if (next.rxscaleStatus === null || next.rxscaleStatus === order.rxscaleStatus) return [];
  const initiator: Initiator = trigger.type === 'status-confirmed' ? trigger.initiator : 'rxscale';
  const reason = trigger.type === 'status-confirmed' ? trigger.comment : undefined;
  return [
    {
      type: 'pharmacy.order.status-changed',
      from: order.rxscaleStatus,
      to: next.rxscaleStatus,
      initiator: trigger.type === 'completion-confirmed' ? 'rxbridge' : initiator,
      ...(reason ? { reason } : {}),
    },
  ];
}

function statusCommand(
  status: PharmacySettableStatus,
  initiator: Initiator,
  comment?: string,
): LifecycleCommand {
  return { kind: 'order.status', payload: { status, initiator, ...(comment ? { comment } : {}) } };
}

/**
 * The on-hold comment (and cancel reason) for missing stock: names items by PZN, PMS article or RxScale
 * SKU with the counts. RxScale opens an admin issue with this text (API.md §7.4), so it names items only.
 */
export function missingItemsComment(missing: readonly MissingStock[]): string {
  const items = missing.map((m) => {
    const id =
      m.pzn !== null
        ? `PZN ${m.pzn}`
        : m.external_id
          ? `article ${m.external_id}`
          : `SKU ${m.pharmacy_sku_uid ?? 'unknown'}`;
    return `${id} (${m.requested} requested, ${m.available} available)`;
  });
  // RxScale's comment limit as our contract reads it is 5000 characters; Reason allows 2000
  const text = `Not enough stock: ${items.join('; ')}`;
  return text.length <= 2000 ? text : `${text.slice(0, 1997)}...`;
}

function refusal(code: LifecycleRefusalCode, message: string): Transition {
  return { allowed: false, code, message };
}
