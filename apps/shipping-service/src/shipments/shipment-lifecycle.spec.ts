import {
  CLOSED_STATES,
  decideTransition,
  FULFILMENTS,
  SHIPMENT_STATES,
  SHIPMENT_TRIGGERS,
  type Fulfilment,
  type ShipmentState,
  type ShipmentTrigger,
} from './shipment-lifecycle.js';

// The expected behaviour written out once more, independently of the table in the code: one line per
// state × trigger × fulfilment. "→ x" moves to x, "=" is a repeat, anything else is the refusal code.
const EXPECTED = `
expected    dispatch  shipment   → dispatched
expected    dispatch  hand-over  DELIVERY_TYPE_MISMATCH
expected    hand-over shipment   DELIVERY_TYPE_MISMATCH
expected    hand-over hand-over  → handed-over
expected    deliver   shipment   SHIPMENT_NOT_DISPATCHED
expected    deliver   hand-over  DELIVERY_TYPE_MISMATCH
expected    cancel    shipment   → stopped
expected    cancel    hand-over  → stopped
dispatched  dispatch  shipment   =
dispatched  dispatch  hand-over  DELIVERY_TYPE_MISMATCH
dispatched  hand-over shipment   DELIVERY_TYPE_MISMATCH
dispatched  hand-over hand-over  TRANSITION_NOT_ALLOWED
dispatched  deliver   shipment   → delivered
dispatched  deliver   hand-over  DELIVERY_TYPE_MISMATCH
dispatched  cancel    shipment   → flagged
dispatched  cancel    hand-over  → flagged
handed-over dispatch  shipment   TRANSITION_NOT_ALLOWED
handed-over dispatch  hand-over  DELIVERY_TYPE_MISMATCH
handed-over hand-over shipment   DELIVERY_TYPE_MISMATCH
handed-over hand-over hand-over  =
handed-over deliver   shipment   TRANSITION_NOT_ALLOWED
handed-over deliver   hand-over  DELIVERY_TYPE_MISMATCH
handed-over cancel    shipment   → flagged
handed-over cancel    hand-over  → flagged
delivered   dispatch  shipment   =
delivered   dispatch  hand-over  DELIVERY_TYPE_MISMATCH
delivered   hand-over shipment   DELIVERY_TYPE_MISMATCH
delivered   hand-over hand-over  TRANSITION_NOT_ALLOWED
delivered   deliver   shipment   =
delivered   deliver   hand-over  DELIVERY_TYPE_MISMATCH
delivered   cancel    shipment   → flagged
delivered   cancel    hand-over  → flagged
stopped     dispatch  shipment   ORDER_CANCELLED
stopped     dispatch  hand-over  ORDER_CANCELLED
stopped     hand-over shipment   ORDER_CANCELLED
stopped     hand-over hand-over  ORDER_CANCELLED
stopped     deliver   shipment   ORDER_CANCELLED
stopped     deliver   hand-over  ORDER_CANCELLED
stopped     cancel    shipment   =
stopped     cancel    hand-over  =
flagged     dispatch  shipment   ORDER_CANCELLED
flagged     dispatch  hand-over  ORDER_CANCELLED
flagged     hand-over shipment   ORDER_CANCELLED
flagged     hand-over hand-over  ORDER_CANCELLED
flagged     deliver   shipment   ORDER_CANCELLED
flagged     deliver   hand-over  ORDER_CANCELLED
flagged     cancel    shipment   =
flagged     cancel    hand-over  =
`;

function describeOutcome(outcome: ReturnType<typeof decideTransition>): string {
  switch (outcome.type) {
    case 'move':
      return `→ ${outcome.to}`;
    case 'repeat':
      return '=';
    case 'refuse':
      return outcome.code;
  }
}

const expected = new Map(
  EXPECTED.trim()
    .split('\n')
    .map((line) => {
      const [state, trigger, fulfilment, ...rest] = line.trim().split(/\s+/);
      return [`${state} ${trigger} ${fulfilment}`, rest.join(' ')] as const;
    }),
);

describe(decideTransition.name, () => {
  const cases: [ShipmentState, ShipmentTrigger, Fulfilment][] = SHIPMENT_STATES.flatMap((state) =>
    SHIPMENT_TRIGGERS.flatMap((trigger) =>
      FULFILMENTS.map((fulfilment): [ShipmentState, ShipmentTrigger, Fulfilment] => [
        state,
        trigger,
        fulfilment,
      ]),
    ),
  );

  it('has an expectation for every state × trigger × fulfilment and no other', () => {
    expect(cases).toHaveLength(SHIPMENT_STATES.length * SHIPMENT_TRIGGERS.length * FULFILMENTS.length);
    expect([...expected.keys()].sort()).toEqual(cases.map((c) => c.join(' ')).sort());
  });

  it.each(cases)('%s + %s (%s)', (state, trigger, fulfilment) => {
    expect(describeOutcome(decideTransition({ state, fulfilment }, trigger))).toBe(
      expected.get(`${state} ${trigger} ${fulfilment}`),
    );
  });

  describe('closed states', () => {
    it('starts the retention clock exactly where the desk is done with the address', () => {
      expect([...CLOSED_STATES].sort()).toEqual(['delivered', 'flagged', 'handed-over', 'stopped']);
    });

    it('never leaves a closed state except to flag it after a cancellation', () => {
      for (const state of CLOSED_STATES) {
        for (const trigger of SHIPMENT_TRIGGERS) {
          for (const fulfilment of FULFILMENTS) {
            const outcome = decideTransition({ state, fulfilment }, trigger);
            if (outcome.type === 'move') expect(outcome.to).toBe('flagged');
          }
        }
      }
    });
  });
});
