/**
 * The event registry, as one import: the catalog (data), parsing, building and the contract error. Each part
 * lives in its own file; this module keeps the package's public names in one place.
 */
export * from './event-catalog.js';
export * from './event-contract-error.js';
export { parseEvent, type ParseEventResult } from './event-parsing.js';
export { buildEvent, eventRoute, type BuildEventOptions } from './event-building.js';
export {
  buildRxScaleEvent,
  type BuildRxScaleEventResult,
  type ReceivedWebhook,
} from './webhook-event-building.js';
