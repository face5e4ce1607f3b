import { type ShipmentErrorCode } from './shipment.errors.js';

/**
 * The shipment state machine, pure. One shipment per order, created when the order is ready (DESIGN.md §1
 * step 5): it either leaves with a carrier (`shipment`) or is collected in person (`hand-over`, delivery
 * type pickup).
 */
export const SHIPMENT_STATES = [
  'expected',
  'dispatched',
  'handed-over',
  'delivered',
  'stopped',
  'flagged',
] as const;
export type ShipmentState = (typeof SHIPMENT_STATES)[number];

export const SHIPMENT_TRIGGERS = ['dispatch', 'hand-over', 'deliver', 'cancel'] as const;
export type ShipmentTrigger = (typeof SHIPMENT_TRIGGERS)[number];

/** How the order leaves the pharmacy, decided from its delivery type when it was received. */
export const FULFILMENTS = ['shipment', 'hand-over'] as const;
export type Fulfilment = (typeof FULFILMENTS)[number];

export type TransitionOutcome =
  | { type: 'move'; to: ShipmentState }
  /** Already in the state the trigger leads to: a repeat, idempotent unless its data disagrees. */
  | { type: 'repeat' }
  | { type: 'refuse'; code: ShipmentErrorCode };

const move = (to: ShipmentState): TransitionOutcome => ({ type: 'move', to });
const repeat: TransitionOutcome = { type: 'repeat' };
const refuse = (code: ShipmentErrorCode): TransitionOutcome => ({ type: 'refuse', code });

/**
 * Every state × trigger. A cancellation before the parcel left stops it; after it left (or the patient has
 * it) a person has to act, so it is flagged (DESIGN.md §1 step 7). A stopped or flagged shipment belongs to
 * a cancelled order and takes no more desk commands.
 */
export const SHIPMENT_TRANSITIONS: Readonly<
  Record<ShipmentState, Readonly<Record<ShipmentTrigger, TransitionOutcome>>>
> = {
  expected: {
    dispatch: move('dispatched'),
    'hand-over': move('handed-over'),
    deliver: refuse('shipment_not_dispatched'),
    cancel: move('stopped'),
  },
  dispatched: {
    dispatch: repeat,
    'hand-over': refuse('transition_not_allowed'),
    deliver: move('delivered'),
    cancel: move('flagged'),
  },
  'handed-over': {
    dispatch: refuse('transition_not_allowed'),
    'hand-over': repeat,
    deliver: refuse('transition_not_allowed'),
    cancel: move('flagged'),
  },
  delivered: {
    // The desk repeating its record of a shipment that has since been delivered is still the same shipment.
    dispatch: repeat,
    'hand-over': refuse('transition_not_allowed'),
    deliver: repeat,
    cancel: move('flagged'),
  },
  stopped: {
    dispatch: refuse('order_cancelled'),
    'hand-over': refuse('order_cancelled'),
    deliver: refuse('order_cancelled'),
    cancel: repeat,
  },
  flagged: {
    dispatch: refuse('order_cancelled'),
    'hand-over': refuse('order_cancelled'),
    deliver: refuse('order_cancelled'),
    cancel: repeat,
  },
};

/** Which fulfilment a desk trigger belongs to; a cancellation applies to both. */
export const TRIGGER_FULFILMENT: Readonly<Record<ShipmentTrigger, Fulfilment | 'any'>> = {
  dispatch: 'shipment',
  'hand-over': 'hand-over',
  deliver: 'shipment',
  cancel: 'any',
};

/** States after which the shipping desk needs the delivery address no more: the retention clock starts. */
export const CLOSED_STATES: ReadonlySet<ShipmentState> = new Set([
  'handed-over',
  'delivered',
  'stopped',
  'flagged',
]);

/**
 * What a trigger does to a shipment. A cancelled order's refusal comes first (it says the most), then a
 * trigger of the other fulfilment (a carrier shipment for a pickup order), then the table.
 */
export function decideTransition(
  shipment: { state: ShipmentState; fulfilment: Fulfilment },
  trigger: ShipmentTrigger,
): TransitionOutcome {
  const outcome = SHIPMENT_TRANSITIONS[shipment.state][trigger];
  if (outcome.type === 'refuse' && outcome.code === 'order_cancelled') return outcome;
  const wanted = TRIGGER_FULFILMENT[trigger];
  if (wanted !== 'any' && wanted !== shipment.fulfilment) return refuse('delivery_type_mismatch');
  return outcome;
}
