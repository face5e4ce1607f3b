/** The service's pino logger in Nest's container (the kit's redactor applies to every line it writes). */
export const ORDER_SERVICE_LOGGER = Symbol('rxbridge.order-service.logger');
