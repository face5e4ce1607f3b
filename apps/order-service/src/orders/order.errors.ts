import { type ErrorCode } from '@rxbridge/contracts';
import { PermanentError } from '@rxbridge/service-kit';

/**
 * order-service's domain error codes, as data. All are permanent: retrying the same input gives the same
 * answer. The edges translate: REST maps `httpStatus`, the Kafka runtime dead-letters (PermanentError).
 * Messages name states and rules, never patient data or submitted values.
 */
export const ORDER_ERRORS = {
  order_not_found: { httpStatus: 404, description: 'no order with this pharmacy order uid' },
  order_not_assigned: {
    httpStatus: 409,
    description: 'RxScale has not assigned the order to the pharmacy yet',
  },
  order_closed: { httpStatus: 409, description: 'the order is completed or cancelled' },
  transition_not_allowed: { httpStatus: 409, description: 'the state machine does not allow this step now' },
  rxscale_transition_not_allowed: {
    httpStatus: 409,
    description: "RxScale's transition map would refuse the status change",
  },
  comment_required: { httpStatus: 400, description: 'on-hold needs a non-blank comment' },
  reason_required: { httpStatus: 400, description: 'a cancellation needs a non-blank reason' },
  missing_items_required: { httpStatus: 400, description: 'a failed reservation names its missing items' },
  order_invalid: { httpStatus: 422, description: "RxScale's order did not parse with the contract" },
  nothing_to_retry: { httpStatus: 409, description: 'only a refused order can be retried' },
  retry_not_possible: {
    httpStatus: 409,
    description: "RxScale's current status allows neither the refused change nor adopting it",
  },
  order_pharmacy_mismatch: {
    httpStatus: 409,
    description: 'the order belongs to another pharmacy than the one named',
  },
} as const satisfies Partial<Record<ErrorCode, { httpStatus: number; description: string }>>;

export type OrderErrorCode = keyof typeof ORDER_ERRORS;

/** Codes the pure state machine refuses with. */
export type LifecycleRefusalCode = Extract<
  OrderErrorCode,
  | 'order_not_assigned'
  | 'order_closed'
  | 'transition_not_allowed'
  | 'rxscale_transition_not_allowed'
  | 'comment_required'
  | 'reason_required'
  | 'missing_items_required'
  | 'nothing_to_retry'
  | 'retry_not_possible'
>;

export class OrderError extends PermanentError {
  constructor(
    override readonly code: OrderErrorCode,
    message: string,
  ) {
    super(message, code);
    this.name = 'OrderError';
  }
}
