export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
export const GATEWAY_LOGGER = Symbol('GATEWAY_LOGGER');
/** Where a verified webhook's record goes: KafkaIngestProducer, or a test's own port. */
export const WEBHOOK_PRODUCER = Symbol('WEBHOOK_PRODUCER');
