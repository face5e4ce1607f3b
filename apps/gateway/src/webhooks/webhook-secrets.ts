import type { WebhookSecrets } from '../config/gateway-config.js';

/**
 * Which secrets may have signed a delivery: those of its source and event type; for an event type the
 * source has no subscription secret for, every secret of that source (an unknown type is still kept if
 * one of them signed it). Computed once at start so a request does no allocation here.
 */
export class WebhookSecretBook {
  private readonly bySource = new Map<
    string,
    { byType: Map<string, readonly string[]>; all: readonly string[] }
  >();

  constructor(secrets: WebhookSecrets) {
    for (const [source, types] of Object.entries(secrets)) {
      const byType = new Map(
        Object.entries(types).map(([type, list]) => [type, [...new Set(list)]] as const),
      );
      const all = [...new Set([...byType.values()].flat())];
      this.bySource.set(source, { byType, all });
    }
  }

  hasSource(source: string): boolean {
    return this.bySource.has(source);
  }

  get sources(): string[] {
    return [...this.bySource.keys()];
  }

  /** Undefined for an unknown source. */
  candidates(source: string, eventType: string): readonly string[] | undefined {
    const entry = this.bySource.get(source);
    if (!entry) return undefined;
    return entry.byType.get(eventType) ?? entry.all;
  }
}
