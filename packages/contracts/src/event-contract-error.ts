import { type z } from 'zod';
import { type ErrorCode } from './error-codes.js';

export type EventContractErrorCode = Extract<
  ErrorCode,
  | 'empty_record'
  | 'invalid_json'
  | 'invalid_envelope'
  | 'unknown_type'
  | 'wrong_topic'
  | 'invalid_event'
  | 'invalid_webhook'
>;

/**
 * A record or a new event that breaks its contract. Permanent by nature (`permanent: true`, which the consumer
 * runtime's failure classifier reads): the record goes to the DLQ at once, never retried or parked. Messages
 * name paths and rules, never the offending values (they may be patient data).
 */
export class EventContractError extends Error {
  override readonly name = 'EventContractError';
  readonly permanent = true;
  constructor(
    readonly code: EventContractErrorCode,
    message: string,
    readonly eventType?: string,
    readonly issues: readonly z.core.$ZodIssue[] = [],
  ) {
    super(message);
  }
}
