/** One API call as the admin API shows it: never the key (only its id), never a body. */
export interface RequestLogEntry {
  at: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query parameters, with `search` (may hold a patient name) redacted. */
  query: Record<string, string>;
  /** Endpoint template (`PATCH /pharmacy_orders/{uid}/status`), null for unknown paths. */
  endpoint: string | null;
  basePath: string | null;
  keyId: string | null;
  pharmacyUid: string | null;
  status: number;
  durationMs: number;
}

const MAX_ENTRIES = 100_000;

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private dropped = 0;

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    // Bounded, so a long throughput run cannot exhaust memory; the oldest tenth goes at once (cheap).
    if (this.entries.length > MAX_ENTRIES) {
      const drop = this.entries.length - MAX_ENTRIES + MAX_ENTRIES / 10;
      this.entries.splice(0, drop);
      this.dropped += drop;
    }
  }

  /** The newest `limit` entries; `total` = entries held, `dropped` = oldest entries discarded so far. */
  list(limit: number): { total: number; dropped: number; entries: RequestLogEntry[] } {
    return {
      total: this.entries.length,
      dropped: this.dropped,
      entries: this.entries.slice(-limit),
    };
  }

  clear(): void {
    this.entries = [];
    this.dropped = 0;
  }
}
