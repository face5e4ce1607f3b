/**
 * Every error code RxBridge writes where another part or another team reads it: the `dlq-error-code` header
 * and the dead-letter metric's outcome label, EventContractError.code, the gateway's HTTP `error` field, and
 * the codes of service-kit's own errors. One spelling per fault (lower snake case, like RxScale's and the
 * gateway's), so a dashboard or a replay script never has to know which package saw the fault.
 *
 * `permanent`: the consumer runtime dead-letters a record failing with this code at once; transient codes
 * are retried, parked and retried again (DESIGN.md §4). `http` is the status where the code is HTTP-visible.
 */
export const ErrorCodes = {
  // A Kafka record or a new event that breaks its contract (EventContractError)
  empty_record: { permanent: true, doc: 'The Kafka record has no value (a tombstone on an event topic).' },
  invalid_json: { permanent: true, doc: 'The record value (or response, or body) is not valid JSON.' },
  invalid_envelope: {
    permanent: true,
    doc: 'The record is JSON but not a CloudEvents 1.0 event in structured mode.',
  },
  unknown_type: {
    permanent: true,
    doc: 'The CloudEvent type is in no contract, or no handler of this consumer group takes it.',
  },
  wrong_topic: { permanent: true, doc: 'A known event type arrived on a topic other than its own.' },
  invalid_event: {
    permanent: true,
    doc: 'The CloudEvent breaks the schema of its type (or, for rxscale.*, its body disagrees with it).',
  },
  invalid_webhook: {
    permanent: true,
    doc: 'A verified webhook body is not an RxScale envelope that can be stored as a CloudEvent.',
  },
  // service-kit's generic errors and its outbox
  permanent: { permanent: true, doc: 'A PermanentError thrown without a code of its own.' },
  transient: { permanent: false, doc: 'A TransientError thrown without a code of its own.' },
  unclassified: {
    permanent: false,
    doc: 'A failure carrying no string code (a bug or an unknown driver error); retried, then dead-lettered.',
  },
  outbox_invalid: {
    permanent: true,
    doc: 'An outbox message lacks its topic or key, or its event is invalid.',
  },
  command_invalid: { permanent: true, doc: 'An RxScale command to enqueue breaks its schema.' },
  // The gateway's webhook endpoint (HTTP-visible in the `error` field)
  bad_request: { permanent: true, http: 400, doc: 'The webhook request is malformed.' },
  unauthorized: { permanent: true, http: 401, doc: 'The webhook signature does not verify.' },
  not_found: {
    permanent: true,
    http: 404,
    doc: 'No such route, or a webhook source the gateway does not know.',
  },
  payload_too_large: { permanent: true, http: 413, doc: 'The webhook body exceeds the configured limit.' },
  unsupported_media_type: { permanent: true, http: 415, doc: 'The webhook body is not application/json.' },
  internal: {
    permanent: false,
    http: 500,
    doc: 'An unexpected failure in the gateway; the details are only in its log.',
  },
  unavailable: {
    permanent: false,
    http: 503,
    doc: 'Kafka did not take the webhook within the time budget; RxScale delivers it again.',
  },
  produce_budget_exceeded: {
    permanent: false,
    doc: 'The gateway producer could not store a record within its budget.',
  },
  producer_closed: { permanent: false, doc: 'The gateway producer is shutting down.' },
} as const satisfies Record<string, { permanent: boolean; http?: number; doc: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ErrorCodes, code);
}

/** Whether a failure with this code goes to the dead-letter topic at once; undefined for codes outside the table. */
export function isPermanentErrorCode(code: string): boolean | undefined {
  return isErrorCode(code) ? ErrorCodes[code].permanent : undefined;
}
