/** Nest injection tokens of the service's edge (the data source the controllers open transactions on). */
export const SHIPPING_DATA_SOURCE = Symbol('rxbridge.shipping.data-source');
export const SHIPPING_METRICS = Symbol('rxbridge.shipping.metrics');
