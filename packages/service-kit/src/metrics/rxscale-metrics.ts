import { type ServiceMetrics } from './service-metrics.js';

/**
 * The shape of the RxScale client's `onResponse` hook event (packages/rxscale-client, `RxScaleResponseEvent`),
 * repeated structurally so service-kit does not depend on the client. One event per HTTP attempt.
 */
export interface RxScaleAttemptEvent {
  requestId?: string;
  /** 1 for the first try of a logical request. */
  attempt?: number;
  method: string;
  /** As documented, e.g. `/pharmacy_orders/{uid}/status`: a bounded label, unlike the filled-in path. */
  pathTemplate: string;
  /** Absent when no answer arrived (connection error, timeout, abort). */
  status?: number;
  durationMs: number;
  /** The error's class name when the attempt failed (`RxScaleTimeoutError`, `RxScaleConnectionError`...). */
  errorClass?: string;
  /** The pharmacy the call acted on, if the client reports it (the pharmacy label of the call counter). */
  pharmacyUid?: string;
}

/**
 * Hooks for `new RxScaleClient({ ..., hooks: rxscaleMetricsHooks(metrics) })`: every attempt is counted and
 * timed (a retried 429 shows as a 429 and then a 200, which is what the rate budget needs to see).
 * operation = `<METHOD> <path template>`; status = the HTTP status, else `timeout`, `aborted` or `network_error`.
 */
export function rxscaleMetricsHooks(metrics: ServiceMetrics): {
  onResponse: (event: RxScaleAttemptEvent) => void;
} {
  return {
    onResponse(event) {
      const status = event.status ?? noAnswerStatus(event.errorClass);
      metrics.observeRxScaleCall({
        operation: `${event.method} ${event.pathTemplate}`,
        status,
        ...(event.pharmacyUid ? { pharmacy: event.pharmacyUid } : {}),
        durationSeconds: event.durationMs / 1000,
      });
    },
  };
}

/** Why no HTTP status arrived. An abort is the caller's choice (shutdown, its own deadline), not a failure of RxScale. */
function noAnswerStatus(errorClass: string | undefined): string {
  if (errorClass?.includes('Timeout')) return 'timeout';
  if (errorClass === 'DOMException' || errorClass?.includes('Abort')) return 'aborted';
  return 'network_error';
}
