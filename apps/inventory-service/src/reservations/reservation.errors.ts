import { type ErrorCode } from '@rxbridge/contracts';
import { PermanentError } from '@rxbridge/service-kit';

export const ReservationErrorCodes = {
  order_line_unidentified: 'an order line names no pharmacy SKU, article id or PZN',
} as const satisfies Partial<Record<ErrorCode, string>>;
export type ReservationErrorCode = keyof typeof ReservationErrorCodes;

export class ReservationError extends PermanentError {
  constructor(override readonly code: ReservationErrorCode) {
    super(ReservationErrorCodes[code], code);
    this.name = 'ReservationError';
  }
}
