import { RxScaleEventHeaders, type CloudEvent } from '@rxbridge/contracts';

/** CloudEvent extension (or header) carrying RxScale's delivery identity, the inbox's second key; the gateway's
 * `rxscale-dedup-key` header (RxScaleEventHeaders.dedupKey) is read first. */
export const DEDUP_KEY_HEADER = 'rxscaledeliverykey';

export type DedupKeyReader = (event: CloudEvent, headers: Record<string, string>) => string | undefined;

export function defaultDedupKey(event: CloudEvent, headers: Record<string, string>): string | undefined {
  const fromHeader = headers[RxScaleEventHeaders.dedupKey] ?? headers[DEDUP_KEY_HEADER];
  if (fromHeader) return fromHeader;
  const fromEvent = (event as Record<string, unknown>)[DEDUP_KEY_HEADER];
  return typeof fromEvent === 'string' && fromEvent.length > 0 ? fromEvent : undefined;
}
