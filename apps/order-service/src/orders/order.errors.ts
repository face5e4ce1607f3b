import { PermanentError } from '@rxbridge/service-kit';

/**
 * order-service's domain error codes, as data. All are permanent: retrying the same input gives the same
 * answer. The edges translate: REST maps `httpStatus`, the Kafka runtime dead-letters (PermanentError).
 * Messages name states and rules, never patient data or submitted values.
 */
export const ORDER_ERRORS = {
  ORDER_NOT_FOUND: { httpStatus: 404, description: 'no order with this pharmacy order uid' },
  ORDER_NOT_ASSIGNED: {
    httpStatus: 409,
    description: 'RxScale has not assigned the order to the pharmacy yet',
  },
  ORDER_CLOSED: { httpStatus: 409, description: 'the order is completed or cancelled' },
  TRANSITION_NOT_ALLOWED: { httpStatus: 409, description: 'the state machine does not allow this step now' },
  RXSCALE_TRANSITION_NOT_ALLOWED: {
    httpStatus: 409,
    description: "RxScale's transition map would refuse the status change",
  },
  COMMENT_REQUIRED: { httpStatus: 400, description: 'on-hold needs a non-blank comment' },
  REASON_REQUIRED: { httpStatus: 400, description: 'a cancellation needs a non-blank reason' },
  MISSING_ITEMS_REQUIRED: { httpStatus: 400, description: 'a failed reservation names its missing items' },
  ORDER_INVALID: { httpStatus: 422, description: "RxScale's order did not parse with the contract" },
  NOTHING_TO_RETRY: { httpStatus: 409, description: 'only a refused order can be retried' },
  RETRY_NOT_POSSIBLE: {
    httpStatus: 409,
    description: "RxScale's current status allows neither the refused change nor adopting it",
  },
  ORDER_PHARMACY_MISMATCH: {
    httpStatus: 409,
    description: 'the order belongs to another pharmacy than the one named',
  },
} as const satisfies Record<string, { httpStatus: number; description: string }>;

export type OrderErrorCode = keyof typeof ORDER_ERRORS;

/** Codes the pure state machine refuses with. */
export type LifecycleRefusalCode = Extract<
  OrderErrorCode,
  | 'ORDER_NOT_ASSIGNED'
  | 'ORDER_CLOSED'
  | 'TRANSITION_NOT_ALLOWED'
  | 'RXSCALE_TRANSITION_NOT_ALLOWED'
  | 'COMMENT_REQUIRED'
  | 'REASON_REQUIRED'
  | 'MISSING_ITEMS_REQUIRED'
  | 'NOTHING_TO_RETRY'
  | 'RETRY_NOT_POSSIBLE'
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
