/**
 * Every error code RxBridge throws or answers with: the `dlq-error-code` header and the dead-letter metric's
 * outcome label, EventContractError.code, the gateway's HTTP `error` field, the services' REST `error.code`,
 * and the codes of service-kit's own errors. One spelling per fault (lower snake case, like RxScale's and the
 * gateway's), so a dashboard or a replay script never has to know which package saw the fault. The error
 * classes take `ErrorCode` (or a subset of it), so tsc refuses a code missing here; test/error-codes.spec.ts
 * also scans the sources. Not here: RxScale's own codes (rxscale-client passes them on), driver codes
 * (SQLSTATEs, Node's `ECONNREFUSED`, …), which the dead-letter header carries as they are.
 *
 * `permanent`: the consumer runtime dead-letters a record failing with this code at once; transient codes
 * are retried, parked and retried again (DESIGN.md §4). `http` is the status of the gateway's and the REST
 * edge's own codes; a service's domain codes get theirs from the service's error table (ORDER_ERRORS, …),
 * which is keyed by these codes.
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
    doc: 'An unexpected failure (the gateway, or a REST edge); the details are only in its log.',
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
  // service-kit's REST edge (the services' `error.code`; the standard refusals of Nest and Fastify)
  forbidden: { permanent: true, http: 403, doc: 'The bearer token does not allow this route.' },
  method_not_allowed: { permanent: true, http: 405, doc: 'The method is not allowed on this route.' },
  not_acceptable: { permanent: true, http: 406, doc: 'The requested representation is not available.' },
  request_timeout: { permanent: false, http: 408, doc: 'The request took too long to arrive.' },
  conflict: { permanent: true, http: 409, doc: 'The request conflicts with the current state.' },
  length_required: { permanent: true, http: 411, doc: 'The request needs a content length.' },
  unprocessable: { permanent: true, http: 422, doc: 'The request cannot be processed.' },
  too_many_requests: { permanent: false, http: 429, doc: 'Too many requests.' },
  invalid_body: { permanent: true, http: 400, doc: 'The REST request body is not valid JSON.' },
  invalid_request: {
    permanent: true,
    http: 400,
    doc: 'A REST request breaks its schema (422 where the shipping desk refuses the values it names).',
  },
  idempotency_key_required: { permanent: true, http: 400, doc: 'A write lacks a valid Idempotency-Key.' },
  idempotency_key_reused: {
    permanent: true,
    http: 422,
    doc: 'The Idempotency-Key was used for a different request.',
  },
  idempotency_key_in_use: {
    permanent: false,
    http: 409,
    doc: 'A request with this Idempotency-Key is still running.',
  },
  job_failed: { permanent: false, http: 503, doc: 'An operations run (retention, sync) failed.' },
  // service-kit's configuration, RxScale sources and column encryption
  invalid_config: { permanent: true, doc: 'The environment breaks the configuration schema (ConfigError).' },
  rxscale_sources_invalid: {
    permanent: true,
    doc: 'The RxScale sources break a rule (a pharmacy in two sources, a single key without one pharmacy).',
  },
  pharmacy_without_source: {
    permanent: true,
    doc: 'A pharmacy the deployment serves, or a command names, belongs to no RxScale source.',
  },
  cipher_keyring_invalid: {
    permanent: true,
    doc: 'The keys given to the field cipher are unusable (no active key, wrong size, bad id).',
  },
  cipher_envelope_invalid: {
    permanent: true,
    doc: 'A stored value is not an envelope of a known version (e.g. plaintext in an encrypted column).',
  },
  cipher_key_unknown: { permanent: true, doc: 'The envelope names a key the cipher does not hold.' },
  cipher_authentication_failed: {
    permanent: true,
    doc: 'The tag did not verify: tampered value, another key, or other associated data.',
  },
  // order-service
  order_not_found: { permanent: true, doc: 'No order with this pharmacy order uid.' },
  order_not_assigned: { permanent: true, doc: 'RxScale has not assigned the order to the pharmacy yet.' },
  order_closed: { permanent: true, doc: 'The order is completed or cancelled.' },
  transition_not_allowed: {
    permanent: true,
    doc: "The order's (or the shipment's) state machine does not allow this step now.",
  },
  rxscale_transition_not_allowed: {
    permanent: true,
    doc: "RxScale's transition map would refuse the status change.",
  },
  comment_required: { permanent: true, doc: 'On-hold needs a non-blank comment.' },
  reason_required: { permanent: true, doc: 'A cancellation needs a non-blank reason.' },
  missing_items_required: { permanent: true, doc: 'A failed reservation names its missing items.' },
  order_invalid: { permanent: true, doc: "RxScale's order did not parse with the contract." },
  nothing_to_retry: { permanent: true, doc: 'Only a refused order can be retried.' },
  retry_not_possible: {
    permanent: true,
    doc: "RxScale's current status allows neither the refused change nor adopting it.",
  },
  order_pharmacy_mismatch: {
    permanent: true,
    doc: 'The order belongs to another pharmacy than the one named.',
  },
  patient_data_purged: { permanent: true, doc: "The order's patient data was removed by the retention job." },
  prescription_not_available: { permanent: true, doc: 'RxScale holds no prescription file for the order.' },
  rxscale_order_not_found: {
    permanent: true,
    doc: "RxScale does not show the order under the pharmacy's API key.",
  },
  rxscale_unavailable: { permanent: false, doc: 'RxScale could not be reached; retry later.' },
  rxscale_read_failed: { permanent: true, doc: 'RxScale refused a read the service needed.' },
  // inventory-service
  stock_level_invalid: { permanent: true, doc: 'The stock level is invalid.' },
  article_not_found: { permanent: true, doc: 'The pharmacy has no stock level for this article.' },
  upload_too_large: { permanent: true, doc: 'The stock upload is larger than the limit.' },
  too_many_lines: { permanent: true, doc: 'The stock upload has more lines than the limit.' },
  csv_malformed: { permanent: true, doc: 'The CSV upload cannot be read.' },
  csv_header_invalid: { permanent: true, doc: 'The CSV header does not name the columns.' },
  upload_json_invalid: { permanent: true, doc: 'The JSON upload is valid JSON but not {"lines": [...]}.' },
  order_line_unidentified: {
    permanent: true,
    doc: 'An order line names no pharmacy SKU, article id or PZN.',
  },
  // shipping-service
  shipment_not_found: { permanent: true, doc: 'No shipment for this order (unknown or not ready).' },
  order_cancelled: { permanent: true, doc: 'The order is cancelled: nothing may be shipped.' },
  order_not_ready: { permanent: true, doc: 'The order is not ready_for_pickup yet.' },
  delivery_type_mismatch: { permanent: true, doc: "The command does not fit the order's delivery type." },
  shipment_already_dispatched: {
    permanent: true,
    doc: 'The order has already left with another carrier or tracking number.',
  },
  shipment_not_dispatched: { permanent: true, doc: 'The shipment has not been dispatched yet.' },
  tracking_url_contains_patient_data: {
    permanent: true,
    doc: "The tracking URL contains part of the patient's delivery address.",
  },
  delivered_in_future: { permanent: true, doc: 'delivered_at lies in the future.' },
  order_unknown_to_order_service: {
    permanent: true,
    doc: 'order-service knows no order shipping-service was told about.',
  },
  order_service_answer_invalid: {
    permanent: true,
    doc: "order-service's answer is not its documented delivery-address body.",
  },
  order_service_refused: { permanent: false, doc: 'order-service refused the call (401/403/408/429/5xx).' },
  order_service_timeout: { permanent: false, doc: 'order-service did not answer in time.' },
  order_service_unreachable: {
    permanent: false,
    doc: 'order-service could not be reached, or its answer was cut short.',
  },
} as const satisfies Record<string, { permanent: boolean; http?: number; doc: string }>;

export type ErrorCode = keyof typeof ErrorCodes;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ErrorCodes, code);
}

/** Whether a failure with this code goes to the dead-letter topic at once; undefined for codes outside the table. */
export function isPermanentErrorCode(code: string): boolean | undefined {
  return isErrorCode(code) ? ErrorCodes[code].permanent : undefined;
}
