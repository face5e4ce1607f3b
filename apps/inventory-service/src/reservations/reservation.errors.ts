import { PermanentError } from '@rxbridge/service-kit';

export const ReservationErrorCodes = {
  ORDER_LINE_UNIDENTIFIED: 'an order line names no pharmacy SKU, article id or PZN',
} as const;
export type ReservationErrorCode = keyof typeof ReservationErrorCodes;

export class ReservationError extends PermanentError {
  constructor(override readonly code: ReservationErrorCode) {
    super(ReservationErrorCodes[code], code);
    this.name = 'ReservationError';
  }
}
