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
expected    dispatch  hand-over  delivery_type_mismatch
expected    hand-over shipment   delivery_type_mismatch
expected    hand-over hand-over  → handed-over
expected    deliver   shipment   shipment_not_dispatched
expected    deliver   hand-over  delivery_type_mismatch
expected    cancel    shipment   → stopped
expected    cancel    hand-over  → stopped
dispatched  dispatch  shipment   =
dispatched  dispatch  hand-over  delivery_type_mismatch
dispatched  hand-over shipment   delivery_type_mismatch
dispatched  hand-over hand-over  transition_not_allowed
dispatched  deliver   shipment   → delivered
dispatched  deliver   hand-over  delivery_type_mismatch
dispatched  cancel    shipment   → flagged
dispatched  cancel    hand-over  → flagged
handed-over dispatch  shipment   transition_not_allowed
handed-over dispatch  hand-over  delivery_type_mismatch
handed-over hand-over shipment   delivery_type_mismatch
handed-over hand-over hand-over  =
handed-over deliver   shipment   transition_not_allowed
handed-over deliver   hand-over  delivery_type_mismatch
handed-over cancel    shipment   → flagged
handed-over cancel    hand-over  → flagged
delivered   dispatch  shipment   =
delivered   dispatch  hand-over  delivery_type_mismatch
delivered   hand-over shipment   delivery_type_mismatch
delivered   hand-over hand-over  transition_not_allowed
delivered   deliver   shipment   =
delivered   deliver   hand-over  delivery_type_mismatch
delivered   cancel    shipment   → flagged
delivered   cancel    hand-over  → flagged
stopped     dispatch  shipment   order_cancelled
stopped     dispatch  hand-over  order_cancelled
stopped     hand-over shipment   order_cancelled
stopped     hand-over hand-over  order_cancelled
stopped     deliver   shipment   order_cancelled
stopped     deliver   hand-over  order_cancelled
stopped     cancel    shipment   =
stopped     cancel    hand-over  =
flagged     dispatch  shipment   order_cancelled
flagged     dispatch  hand-over  order_cancelled
flagged     hand-over shipment   order_cancelled
flagged     hand-over hand-over  order_cancelled
flagged     deliver   shipment   order_cancelled
flagged     deliver   hand-over  order_cancelled
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
