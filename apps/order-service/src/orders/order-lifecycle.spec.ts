import { describe, expect, it } from '@jest/globals';
import {
  isAllowedStatusTransition,
  PHARMACY_ORDER_STATUSES,
  type PharmacyOrderStatus,
  type PharmacySettableStatus,
} from '@rxbridge/rxscale-contract';
import {
  initialTransition,
  intendedStatus,
  missingItemsComment,
  ORDER_STATES,
  transition,
  TRIGGER_TYPES,
  type Initiator,
  type LifecycleOrder,
  type OrderState,
  type RetryTrigger,
  type Transition,
  type Trigger,
  type TriggerType,
} from './order-lifecycle.js';

const shipment = { shipment_uid: 'shp-1', carrier: 'GLS', tracking_number: 'GLS-0001', tracking_url: null };
const missing = [{ pharmacy_sku_uid: 'psku-1', pzn: '06312077', requested: 2, available: 0 }];

/** One representative of each trigger; the variants with other parameters have their own tests below. */
const TRIGGERS: Record<TriggerType, Trigger> = {
  'stock-reserved': { type: 'stock-reserved' },
  'reservation-failed': { type: 'reservation-failed', policy: 'on-hold', missing },
  'mark-ready': { type: 'mark-ready' },
  'put-on-hold': { type: 'put-on-hold', comment: 'substitution to be confirmed' },
  resume: { type: 'resume' },
  'cancel-by-pharmacy': { type: 'cancel-by-pharmacy', reason: 'cannot be supplied' },
  'cancelled-by-rxscale': { type: 'cancelled-by-rxscale' },
  'completed-at-rxscale': { type: 'completed-at-rxscale' },
  'shipment-dispatched': { type: 'shipment-dispatched', shipment },
  'shipment-handed-over': { type: 'shipment-handed-over', shipment },
  'status-confirmed': { type: 'status-confirmed', status: 'in-progress', initiator: 'rxbridge' },
  'completion-confirmed': { type: 'completion-confirmed', shipmentUid: 'shp-1' },
  'command-refused': {
    type: 'command-refused',
    requested: 'in-progress',
    reason: 'HTTP 409',
    statusCode: 409,
  },
  // RxScale refused ready_for_pickup (the order was on hold there); a person put it back to in-progress
  retry: {
    type: 'retry',
    requested: 'ready_for_pickup',
    observed: 'in-progress',
    commands: [{ kind: 'order.status', payload: { status: 'ready_for_pickup', initiator: 'pharmacy' } }],
    comment: 'set back to in-progress in the Portal',
  },
};

/** A typical order in each state, with the RxScale status it has there. */
const ORDERS: Record<OrderState, LifecycleOrder> = {
  received: { state: 'received', heldFrom: null, rxscaleStatus: 'waiting for pharmacy' },
  awaiting_stock: { state: 'awaiting_stock', heldFrom: null, rxscaleStatus: 'pending review' },
  in_progress: { state: 'in_progress', heldFrom: null, rxscaleStatus: 'in-progress' },
  ready: { state: 'ready', heldFrom: null, rxscaleStatus: 'ready_for_pickup' },
  shipped: { state: 'shipped', heldFrom: null, rxscaleStatus: 'ready_for_pickup' },
  completed: { state: 'completed', heldFrom: null, rxscaleStatus: 'completed' },
  cancelled: { state: 'cancelled', heldFrom: null, rxscaleStatus: 'cancelled' },
  on_hold: { state: 'on_hold', heldFrom: 'in_progress', rxscaleStatus: 'on-hold' },
  refused: { state: 'refused', heldFrom: null, rxscaleStatus: 'in-progress', refusedFrom: 'ready' },
};

const TNA = 'transition_not_allowed';
const CLOSED = 'order_closed';
const NTR = 'nothing_to_retry';
type Expected = OrderState | 'stay' | typeof TNA | typeof CLOSED | typeof NTR;

/**
 * The whole matrix, written out independently of the implementation's table. Columns in TRIGGER_TYPES order:
 * stock-reserved, reservation-failed, mark-ready, put-on-hold, resume, cancel-by-pharmacy, cancelled-by-rxscale,
 * completed-at-rxscale, shipment-dispatched, shipment-handed-over, status-confirmed, completion-confirmed,
 * command-refused, retry.
 */
// prettier-ignore
const EXPECTED: Record<OrderState, Expected[]> = {
  received:       ['in_progress', 'on_hold', TNA, 'on_hold', TNA, 'cancelled', 'cancelled', 'completed', TNA, TNA, 'stay', TNA, 'refused', NTR],
  awaiting_stock: ['in_progress', 'on_hold', TNA, 'on_hold', TNA, 'cancelled', 'cancelled', 'completed', TNA, TNA, 'stay', TNA, 'refused', NTR],
  in_progress:    ['stay', TNA, 'ready', 'on_hold', TNA, 'cancelled', 'cancelled', 'completed', 'shipped', 'shipped', 'stay', TNA, 'refused', NTR],
  ready:          ['stay', TNA, 'stay', 'on_hold', TNA, 'cancelled', 'cancelled', 'completed', 'shipped', 'shipped', 'stay', TNA, 'refused', NTR],
  shipped:        ['stay', TNA, 'stay', TNA, TNA, TNA, 'cancelled', 'completed', 'stay', 'stay', 'stay', 'completed', 'refused', NTR],
  completed:      ['stay', 'stay', CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, 'stay', 'stay', 'stay', 'stay', 'stay', 'stay', NTR],
  cancelled:      ['stay', 'stay', CLOSED, CLOSED, CLOSED, 'stay', 'stay', CLOSED, 'stay', 'stay', 'stay', 'stay', 'stay', NTR],
  on_hold:        ['stay', 'stay', TNA, TNA, 'in_progress', 'cancelled', 'cancelled', 'completed', TNA, TNA, 'stay', TNA, 'refused', NTR],
  refused:        ['stay', 'stay', TNA, TNA, TNA, 'cancelled', 'cancelled', 'completed', TNA, TNA, 'stay', TNA, 'stay', 'ready'],
};

function allowed(t: Transition): Extract<Transition, { allowed: true }> {
  if (!t.allowed) throw new Error(`expected an allowed transition, got ${t.code}: ${t.message}`);
  return t;
}

function statuses(t: Transition): string[] {
  return allowed(t).commands.map((c) => (c.kind === 'order.status' ? c.payload.status : 'complete_order'));
}

function eventTypes(t: Transition): string[] {
  return allowed(t).events.map((e) => e.type);
}

describe('order lifecycle', () => {
  describe('every state × every trigger', () => {
    const cases = ORDER_STATES.flatMap((state) =>
      TRIGGER_TYPES.map((trigger, i) => [state, trigger, EXPECTED[state][i]!] as const),
    );

    it('covers the whole matrix', () => {
      expect(cases).toHaveLength(ORDER_STATES.length * TRIGGER_TYPES.length);
      for (const state of ORDER_STATES) expect(EXPECTED[state]).toHaveLength(TRIGGER_TYPES.length);
    });

    it.each(cases)('%s + %s → %s', (state, trigger, expected) => {
      const result = transition(ORDERS[state], TRIGGERS[trigger]);
      if (expected === TNA || expected === CLOSED || expected === NTR) {
        expect(result).toEqual({ allowed: false, code: expected, message: expect.any(String) });
        return;
      }
      const ok = allowed(result);
      expect(ok.next.state).toBe(expected === 'stay' ? state : expected);
      if (expected === 'stay') {
        expect(ok.commands).toEqual([]);
        expect(ok.withdrawPending).toBe(false);
      }
      // every status change queued is one RxScale's own transition map allows from where the order will be
      // (a retry: from the status RxScale was just seen in)
      const t = TRIGGERS[trigger];
      let from: PharmacyOrderStatus | null =
        t.type === 'retry'
          ? t.observed
          : ok.commands[0]?.kind === 'order.status' && ok.commands[0].payload.status === 'cancelled'
            ? ORDERS[state].rxscaleStatus
            : intendedStatus(ORDERS[state]);
      for (const c of ok.commands) {
        if (c.kind === 'order.status') {
          expect(isAllowedStatusTransition(from!, c.payload.status)).toBe(true);
          from = c.payload.status;
        } else {
          expect(from).toBe('ready_for_pickup');
        }
      }
    });

    it('queues no command from a closed state', () => {
      for (const state of ['completed', 'cancelled'] as const) {
        for (const trigger of TRIGGER_TYPES) {
          const result = transition(ORDERS[state], TRIGGERS[trigger]);
          if (result.allowed) expect(result.commands).toEqual([]);
        }
      }
    });
  });

  describe('receipt', () => {
    it('queues pending review for an order waiting for the pharmacy', () => {
      expect(initialTransition('waiting for pharmacy')).toEqual({
        allowed: true,
        state: 'received',
        publishReceived: true,
        commands: [{ kind: 'order.status', payload: { status: 'pending review', initiator: 'rxbridge' } }],
      });
    });

    it('takes in an order already in pending review without a command', () => {
      expect(initialTransition('pending review')).toMatchObject({
        state: 'awaiting_stock',
        publishReceived: true,
        commands: [],
      });
    });

    it('stores closed orders for the record and publishes nothing', () => {
      expect(initialTransition('cancelled')).toMatchObject({ state: 'cancelled', publishReceived: false });
      expect(initialTransition('completed')).toMatchObject({ state: 'completed', publishReceived: false });
    });

    it('hands an order RxScale has further along to a person', () => {
      for (const s of ['in-progress', 'ready_for_pickup', 'on-hold'] as const) {
        expect(initialTransition(s)).toMatchObject({ state: 'refused', commands: [] });
      }
    });

    it('refuses an order still in init', () => {
      expect(initialTransition('init')).toMatchObject({ allowed: false, code: 'order_not_assigned' });
    });

    it('decides every RxScale status', () => {
      for (const s of PHARMACY_ORDER_STATUSES) expect(initialTransition(s)).toHaveProperty('allowed');
    });
  });

  describe('stock', () => {
    it('moves a reserved order to in-progress', () => {
      const t = transition(ORDERS.awaiting_stock, { type: 'stock-reserved' });
      expect(allowed(t).next.state).toBe('in_progress');
      expect(statuses(t)).toEqual(['in-progress']);
      expect(eventTypes(t)).toEqual([]);
    });

    it('puts an order on hold naming the missing items under the on-hold policy', () => {
      const t = allowed(transition(ORDERS.received, TRIGGERS['reservation-failed']));
      expect(t.next).toEqual({
        state: 'on_hold',
        heldFrom: 'received',
        rxscaleStatus: 'waiting for pharmacy',
      });
      expect(t.commands).toEqual([
        {
          kind: 'order.status',
          payload: {
            status: 'on-hold',
            comment: 'Not enough stock: PZN 06312077 (2 requested, 0 available)',
            initiator: 'rxbridge',
          },
        },
      ]);
      expect(t.withdrawPending).toBe(false);
    });

    it('cancels an order under the cancel policy and says so', () => {
      const t = allowed(
        transition(ORDERS.awaiting_stock, { type: 'reservation-failed', policy: 'cancel', missing }),
      );
      expect(t.next.state).toBe('cancelled');
      expect(statuses(t)).toEqual(['cancelled']);
      expect(t.events).toEqual([
        {
          type: 'pharmacy.order.cancelled',
          previousStatus: 'pending review',
          initiator: 'rxbridge',
          reason: 'Not enough stock: PZN 06312077 (2 requested, 0 available)',
        },
      ]);
      expect(t.withdrawPending).toBe(true);
    });

    it('refuses a failed reservation that names nothing missing', () => {
      expect(
        transition(ORDERS.received, { type: 'reservation-failed', policy: 'on-hold', missing: [] }),
      ).toMatchObject({ allowed: false, code: 'missing_items_required' });
    });

    it('remembers a reservation that arrives while a person holds the order', () => {
      const held: LifecycleOrder = { state: 'on_hold', heldFrom: 'awaiting_stock', rxscaleStatus: 'on-hold' };
      const t = allowed(transition(held, { type: 'stock-reserved' }));
      expect(t.next).toEqual({ state: 'on_hold', heldFrom: 'in_progress', rxscaleStatus: 'on-hold' });
      expect(t.changed).toBe(true);
      expect(statuses(transition(t.next, { type: 'resume' }))).toEqual(['in-progress']);
    });

    it('names items by article or SKU when RxScale sent no PZN', () => {
      expect(
        missingItemsComment([
          { pharmacy_sku_uid: null, external_id: 'WAWI-1', pzn: null, requested: 3, available: 1 },
          { pharmacy_sku_uid: 'psku-9', pzn: null, requested: 1, available: 0 },
        ]),
      ).toBe(
        'Not enough stock: article WAWI-1 (3 requested, 1 available); SKU psku-9 (1 requested, 0 available)',
      );
    });
  });

  describe('packing and holding', () => {
    it('moves a packed order to ready_for_pickup and publishes ready-for-pickup', () => {
      const t = transition(ORDERS.in_progress, { type: 'mark-ready' });
      expect(statuses(t)).toEqual(['ready_for_pickup']);
      expect(eventTypes(t)).toEqual(['pharmacy.order.ready-for-pickup']);
    });

    it('puts an order on hold with the comment, and resumes to where it can go back', () => {
      const held = allowed(transition(ORDERS.ready, { type: 'put-on-hold', comment: '  call the doctor  ' }));
      expect(held.commands).toEqual([
        {
          kind: 'order.status',
          payload: { status: 'on-hold', comment: 'call the doctor', initiator: 'pharmacy' },
        },
      ]);
      expect(held.next.heldFrom).toBe('ready');
      // RxScale allows on-hold → in-progress, not → ready_for_pickup: the order is packed again from there
      const resumed = allowed(transition(held.next, { type: 'resume' }));
      expect(resumed.next).toMatchObject({ state: 'in_progress', heldFrom: null });
      expect(statuses(resumed)).toEqual(['in-progress']);
    });

    it('resumes an order held before its stock was reserved to pending review', () => {
      const held: LifecycleOrder = { state: 'on_hold', heldFrom: 'received', rxscaleStatus: 'on-hold' };
      const t = allowed(transition(held, { type: 'resume' }));
      expect(t.next.state).toBe('awaiting_stock');
      expect(statuses(t)).toEqual(['pending review']);
    });

    it('refuses a blank on-hold comment and a blank cancel reason', () => {
      expect(transition(ORDERS.in_progress, { type: 'put-on-hold', comment: ' ' })).toMatchObject({
        allowed: false,
        code: 'comment_required',
      });
      expect(transition(ORDERS.in_progress, { type: 'cancel-by-pharmacy', reason: '' })).toMatchObject({
        allowed: false,
        code: 'reason_required',
      });
    });
  });

  describe('shipment', () => {
    it('completes a ready order with the shipment details', () => {
      const t = allowed(transition(ORDERS.ready, { type: 'shipment-dispatched', shipment }));
      expect(t.next.state).toBe('shipped');
      expect(t.commands).toEqual([{ kind: 'order.complete', payload: shipment }]);
      expect(t.events).toEqual([]);
    });

    it('marks an unpacked order ready first, then completes it', () => {
      const t = transition(ORDERS.in_progress, { type: 'shipment-handed-over', shipment });
      expect(statuses(t)).toEqual(['ready_for_pickup', 'complete_order']);
      expect(eventTypes(t)).toEqual(['pharmacy.order.ready-for-pickup']);
    });

    it('publishes completed once RxScale confirms complete_order', () => {
      const t = allowed(transition(ORDERS.shipped, { type: 'completion-confirmed', shipmentUid: 'shp-1' }));
      expect(t.next).toMatchObject({ state: 'completed', rxscaleStatus: 'completed' });
      expect(t.events).toEqual([
        {
          type: 'pharmacy.order.status-changed',
          from: 'ready_for_pickup',
          to: 'completed',
          initiator: 'rxbridge',
        },
        { type: 'pharmacy.order.completed', shipmentUid: 'shp-1' },
      ]);
    });
  });

  describe('cancellation', () => {
    it.each(['received', 'awaiting_stock', 'in_progress', 'ready', 'shipped', 'on_hold', 'refused'] as const)(
      'stops a %s order cancelled by RxScale without a command',
      (state) => {
        const t = allowed(transition(ORDERS[state], { type: 'cancelled-by-rxscale' }));
        expect(t.next).toMatchObject({ state: 'cancelled', rxscaleStatus: 'cancelled' });
        expect(t.commands).toEqual([]);
        expect(t.withdrawPending).toBe(true);
        expect(t.events).toContainEqual({
          type: 'pharmacy.order.cancelled',
          previousStatus: ORDERS[state].rxscaleStatus,
          initiator: 'rxscale',
        });
      },
    );

    it('cancels for the pharmacy with its reason, withdrawing what was queued', () => {
      const t = allowed(transition(ORDERS.received, { type: 'cancel-by-pharmacy', reason: 'closed today' }));
      expect(statuses(t)).toEqual(['cancelled']);
      expect(t.withdrawPending).toBe(true);
      expect(t.events).toEqual([
        {
          type: 'pharmacy.order.cancelled',
          previousStatus: 'waiting for pharmacy',
          initiator: 'pharmacy',
          reason: 'closed today',
        },
      ]);
    });

    it('records the confirmation of its own cancel and publishes the status change once', () => {
      const cancelled: LifecycleOrder = { state: 'cancelled', heldFrom: null, rxscaleStatus: 'in-progress' };
      const t = allowed(
        transition(cancelled, { type: 'status-confirmed', status: 'cancelled', initiator: 'pharmacy' }),
      );
      expect(t.next.rxscaleStatus).toBe('cancelled');
      expect(eventTypes(t)).toEqual(['pharmacy.order.status-changed']);
      expect(eventTypes(transition(t.next, { type: 'cancelled-by-rxscale' }))).toEqual([]);
    });

    it('ignores a late confirmation after RxScale cancelled', () => {
      const t = allowed(
        transition(ORDERS.cancelled, {
          type: 'status-confirmed',
          status: 'in-progress',
          initiator: 'rxbridge',
        }),
      );
      expect(t.changed).toBe(false);
      expect(t.events).toEqual([]);
    });

    it('checks a cancel against what RxScale last said', () => {
      const stuck: LifecycleOrder = { state: 'refused', heldFrom: null, rxscaleStatus: 'completed' };
      expect(transition(stuck, { type: 'cancel-by-pharmacy', reason: 'x' })).toMatchObject({
        allowed: false,
        code: 'rxscale_transition_not_allowed',
      });
    });
  });

  describe('confirmations and refusals', () => {
    it('moves a received order to awaiting stock once pending review is confirmed', () => {
      const t = allowed(
        transition(ORDERS.received, {
          type: 'status-confirmed',
          status: 'pending review',
          initiator: 'rxbridge',
        }),
      );
      expect(t.next).toEqual({ state: 'awaiting_stock', heldFrom: null, rxscaleStatus: 'pending review' });
      expect(t.events).toEqual([
        {
          type: 'pharmacy.order.status-changed',
          from: 'waiting for pharmacy',
          to: 'pending review',
          initiator: 'rxbridge',
        },
      ]);
    });

    it('publishes the on-hold comment with the confirmed change', () => {
      const t = transition(ORDERS.on_hold, {
        type: 'status-confirmed',
        status: 'on-hold',
        initiator: 'pharmacy',
        comment: 'call the doctor',
      });
      expect(allowed(t).events).toEqual([]); // already known
      const t2 = transition(ORDERS.in_progress, {
        type: 'status-confirmed',
        status: 'on-hold',
        initiator: 'pharmacy',
        comment: 'call the doctor',
      });
      expect(allowed(t2).events).toEqual([
        {
          type: 'pharmacy.order.status-changed',
          from: 'in-progress',
          to: 'on-hold',
          initiator: 'pharmacy',
          reason: 'call the doctor',
        },
      ]);
    });

    it('records a refusal, withdraws the rest and publishes transition-refused', () => {
      const t = allowed(transition(ORDERS.in_progress, TRIGGERS['command-refused']));
      expect(t.next.state).toBe('refused');
      expect(t.withdrawPending).toBe(true);
      expect(t.commands).toEqual([]);
      expect(t.events).toEqual([
        {
          type: 'pharmacy.order.transition-refused',
          from: 'in-progress',
          requested: 'in-progress',
          reason: 'HTTP 409',
          statusCode: 409,
        },
      ]);
    });

    it('hands a cancelled order to a person when RxScale refused the cancel itself', () => {
      const t = transition(ORDERS.cancelled, {
        type: 'command-refused',
        requested: 'cancelled',
        reason: 'HTTP 409',
        statusCode: 409,
      });
      expect(allowed(t).next.state).toBe('refused');
    });

    it('remembers where a refused order was, and where a held one was held from', () => {
      expect(allowed(transition(ORDERS.in_progress, TRIGGERS['command-refused'])).next).toEqual({
        state: 'refused',
        heldFrom: null,
        rxscaleStatus: 'in-progress',
        refusedFrom: 'in_progress',
      });
      expect(allowed(transition(ORDERS.on_hold, TRIGGERS['command-refused'])).next).toMatchObject({
        heldFrom: 'in_progress',
        refusedFrom: 'on_hold',
      });
    });
  });

  describe('retry of a refused order', () => {
    const status = (to: PharmacySettableStatus, initiator: Initiator = 'rxbridge', comment?: string) =>
      ({
        kind: 'order.status',
        payload: { status: to, initiator, ...(comment ? { comment } : {}) },
      }) as const;
    const refusedFrom = (
      from: OrderState | null,
      rxscaleStatus: PharmacyOrderStatus | null = 'pending review',
      heldFrom: OrderState | null = null,
    ): LifecycleOrder => ({ state: 'refused', heldFrom, rxscaleStatus, refusedFrom: from });
    const retryOf = (
      requested: RetryTrigger['requested'],
      observed: PharmacyOrderStatus,
      commands: RetryTrigger['commands'],
    ): RetryTrigger => ({ type: 'retry', requested, observed, commands, comment: 'fixed in the Portal' });

    it('goes back to where it was and queues the refused command again when RxScale now allows it', () => {
      // in-progress was refused while RxScale had ready_for_pickup; a person set on-hold in the Portal
      const t = allowed(
        transition(refusedFrom('in_progress'), retryOf('in-progress', 'on-hold', [status('in-progress')])),
      );
      expect(t.next).toEqual({ state: 'in_progress', heldFrom: null, rxscaleStatus: 'on-hold' });
      expect(t.commands).toEqual([status('in-progress')]);
      expect(t.withdrawPending).toBe(false);
      expect(t.events).toEqual([
        {
          type: 'pharmacy.order.status-changed',
          from: 'pending review',
          to: 'on-hold',
          initiator: 'rxscale',
        },
      ]);
    });

    it('adopts the refused change when RxScale shows it already, queueing nothing for it', () => {
      const t = allowed(
        transition(
          refusedFrom('in_progress'),
          retryOf('in-progress', 'in-progress', [status('in-progress')]),
        ),
      );
      expect(t.next).toEqual({ state: 'in_progress', heldFrom: null, rxscaleStatus: 'in-progress' });
      expect(t.commands).toEqual([]);
      expect(eventTypes(t)).toEqual(['pharmacy.order.status-changed']);
    });

    it('adopts pending review for an order refused in received, as a confirmation would', () => {
      const t = transition(
        refusedFrom('received', 'waiting for pharmacy'),
        retryOf('pending review', 'pending review', [status('pending review')]),
      );
      expect(allowed(t).next.state).toBe('awaiting_stock');
      expect(allowed(t).commands).toEqual([]);
    });

    it('queues again what the refusal withdrew after the refused command', () => {
      const complete = { kind: 'order.complete', payload: { shipment_uid: 'shp-1' } } as const;
      const chain = [status('ready_for_pickup'), complete];
      const requeued = allowed(
        transition(refusedFrom('shipped', 'in-progress'), retryOf('ready_for_pickup', 'in-progress', chain)),
      );
      expect(requeued.next.state).toBe('shipped');
      expect(requeued.commands).toEqual(chain);
      // ready_for_pickup made in the Portal: adopted, the completion still goes out
      const adopted = allowed(
        transition(
          refusedFrom('shipped', 'in-progress'),
          retryOf('ready_for_pickup', 'ready_for_pickup', chain),
        ),
      );
      expect(adopted.commands).toEqual([complete]);
    });

    it('closes the order as RxScale did and publishes what that publishes', () => {
      const cancelled = allowed(
        transition(refusedFrom('in_progress'), retryOf('in-progress', 'cancelled', [status('in-progress')])),
      );
      expect(cancelled.next.state).toBe('cancelled');
      expect(cancelled.commands).toEqual([]);
      expect(cancelled.withdrawPending).toBe(true);
      expect(cancelled.events).toEqual([
        {
          type: 'pharmacy.order.status-changed',
          from: 'pending review',
          to: 'cancelled',
          initiator: 'rxscale',
        },
        { type: 'pharmacy.order.cancelled', previousStatus: 'pending review', initiator: 'rxscale' },
      ]);
      const completed = allowed(
        transition(
          refusedFrom('shipped', 'ready_for_pickup'),
          retryOf('complete_order', 'completed', [
            { kind: 'order.complete', payload: { shipment_uid: 'shp-1' } },
          ]),
        ),
      );
      expect(completed.next.state).toBe('completed');
      expect(eventTypes(completed)).toEqual(['pharmacy.order.status-changed', 'pharmacy.order.completed']);
    });

    it('does not publish cancelled again for an order whose own cancel RxScale refused', () => {
      const t = allowed(
        transition(
          refusedFrom('cancelled', 'in-progress'),
          retryOf('cancelled', 'cancelled', [status('cancelled', 'pharmacy')]),
        ),
      );
      expect(t.next.state).toBe('cancelled');
      expect(eventTypes(t)).toEqual(['pharmacy.order.status-changed']);
    });

    it('goes back on hold with the comment and where it was held from', () => {
      const hold = status('on-hold', 'pharmacy', 'waiting for the doctor');
      const t = allowed(
        transition(
          refusedFrom('on_hold', 'in-progress', 'in_progress'),
          retryOf('on-hold', 'in-progress', [hold]),
        ),
      );
      expect(t.next).toEqual({ state: 'on_hold', heldFrom: 'in_progress', rxscaleStatus: 'in-progress' });
      expect(t.commands).toEqual([hold]);
    });

    it('refuses, naming the status and the fix, when RxScale allows neither', () => {
      const t = transition(
        refusedFrom('in_progress'),
        retryOf('in-progress', 'ready_for_pickup', [status('in-progress')]),
      );
      expect(t).toEqual({ allowed: false, code: 'retry_not_possible', message: expect.any(String) });
      if (!t.allowed) {
        expect(t.message).toContain('ready_for_pickup');
        expect(t.message).toContain('in-progress');
        expect(t.message).toMatch(/Pharmacy Portal.*cancel/);
      }
      const complete = transition(
        refusedFrom('shipped', 'in-progress'),
        retryOf('complete_order', 'in-progress', [
          { kind: 'order.complete', payload: { shipment_uid: null } },
        ]),
      );
      expect(complete).toMatchObject({ allowed: false, code: 'retry_not_possible' });
      expect(transition(refusedFrom('in_progress'), retryOf('in-progress', 'on-hold', []))).toMatchObject({
        allowed: false,
        code: 'retry_not_possible',
      });
    });

    it('takes in an order refused at first sight once RxScale is back where intake starts', () => {
      const firstSeen = refusedFrom(null, 'in-progress');
      const held = allowed(transition(firstSeen, retryOf('pending review', 'on-hold', [])));
      expect(held.next.state).toBe('received');
      expect(statuses(held)).toEqual(['pending review']);
      expect(held.events).toContainEqual({ type: 'pharmacy.order.received', status: 'on-hold' });
      const review = allowed(transition(firstSeen, retryOf('pending review', 'pending review', [])));
      expect(review.next.state).toBe('awaiting_stock');
      expect(review.commands).toEqual([]);
      expect(eventTypes(review)).toEqual(['pharmacy.order.status-changed', 'pharmacy.order.received']);
      expect(transition(firstSeen, retryOf('pending review', 'ready_for_pickup', []))).toMatchObject({
        allowed: false,
        code: 'retry_not_possible',
      });
      // closed at RxScale meanwhile: closed here, never published received
      const closed = allowed(transition(firstSeen, retryOf('pending review', 'completed', [])));
      expect(closed.next.state).toBe('completed');
      expect(eventTypes(closed)).not.toContain('pharmacy.order.received');
    });

    it('answers every RxScale status for every state a refusal can come from, never throwing', () => {
      const from: (OrderState | null)[] = [
        null,
        'received',
        'awaiting_stock',
        'in_progress',
        'ready',
        'shipped',
        'on_hold',
        'cancelled',
      ];
      for (const f of from)
        for (const observed of PHARMACY_ORDER_STATUSES) {
          const t = transition(refusedFrom(f), retryOf('in-progress', observed, [status('in-progress')]));
          if (!t.allowed) {
            expect(t.code).toBe('retry_not_possible');
            continue;
          }
          expect(t.next.state).not.toBe('refused');
          expect(t.next.rxscaleStatus).toBe(observed);
        }
    });
  });
});
