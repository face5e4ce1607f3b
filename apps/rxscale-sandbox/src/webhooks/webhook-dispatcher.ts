import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookEventType } from '@rxbridge/rxscale-contract';
import type { WebhookDeliveryOptions } from '../config.js';
import type { FaultRegistry } from '../faults.js';
import { unixNow } from '../ids.js';
import { sleep } from '../sleep.js';
import type { SandboxStore, SubscriptionRecord } from '../store.js';

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  /** HTTP status of the receiver's answer; null when there was none (timeout, refused connection). */
  status: number | null;
  durationMs: number;
  error: string | null;
}

export type DeliveryState = 'pending' | 'held' | 'retrying' | 'delivered' | 'failed' | 'dropped';

export interface DeliveryRecord {
  id: string;
  subscriptionUid: string;
  pharmacyUid: string;
  eventType: WebhookEventType;
  target: string;
  /** The documented dedup key parts (API.md §11.5); the body itself is not kept here (patient data). */
  timestamp: number;
  dataUid: string;
  state: DeliveryState;
  /** A second copy sent by the `webhook_duplicate` fault. */
  duplicate: boolean;
  /** Held back by the `webhook_out_of_order` fault and sent after the next delivery. */
  reordered: boolean;
  createdAt: string;
  attempts: DeliveryAttempt[];
}

/** Anything that raises RxScale events: the order and SKU services. */
export interface EventSink {
  emit(pharmacyUid: string, eventType: WebhookEventType, data: { uid: string }): void;
}

interface Job {
  record: DeliveryRecord;
  body: string;
  secret: string;
  latencyMs: number;
  /** Bumped by reset(): work of an older generation finishes without touching the new state. */
  generation: number;
}

/**
 * Delivers events to the pharmacy's subscriptions (API.md §11): a POST of the envelope, signed with the
 * subscription's secret (lowercase hex HMAC-SHA256 of the raw body), a timeout per attempt, retries with
 * exponential backoff on anything but 2xx, every attempt recorded. First attempts go out in event order per
 * subscription; retries run on their own timers, so a retried event can arrive after later ones, as the docs
 * warn (no ordering guarantee).
 */
export class WebhookDispatcher implements EventSink {
  private deliveries: DeliveryRecord[] = [];
  private readonly chains = new Map<string, Promise<void>>();
  private readonly held = new Map<string, { job: Job; timer: NodeJS.Timeout }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private pending = 0;
  private generation = 0;
  private readonly shutdown = new AbortController();

  constructor(
    private readonly store: SandboxStore,
    private readonly faults: FaultRegistry,
    private readonly options: WebhookDeliveryOptions,
  ) {}

  emit(pharmacyUid: string, eventType: WebhookEventType, data: { uid: string }): void {
    const envelope = { event_type: eventType, timestamp: unixNow(), payload_version: '1', data };
    // Serialised once: every subscription and every retry signs and sends these exact bytes.
    const body = JSON.stringify(envelope);
    for (const sub of this.store.subscriptions.values()) {
      if (sub.pharmacy_uid !== pharmacyUid || sub.notification_type !== eventType) continue;
      this.schedule(sub, body, envelope.timestamp, data.uid);
    }
  }

  list(): DeliveryRecord[] {
    return this.deliveries.map((d) => ({ ...d, attempts: d.attempts.map((a) => ({ ...a })) }));
  }

  /** True when nothing is queued, held, in flight or waiting for a retry. */
  idle(): boolean {
    return this.pending === 0 && this.held.size === 0;
  }

  /** Forgets every delivery and stops what is waiting (admin reset). */
  reset(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const { timer } of this.held.values()) clearTimeout(timer);
    this.held.clear();
    this.chains.clear();
    this.deliveries = [];
    this.pending = 0;
    this.generation += 1;
  }

  close(): void {
    this.shutdown.abort();
    this.reset();
  }

  private schedule(sub: SubscriptionRecord, body: string, timestamp: number, dataUid: string): void {
    const faults = this.faults.forWebhook(sub.notification_type);
    const record = this.newRecord(sub, timestamp, dataUid, false);
    if (faults.some((f) => f.kind === 'webhook_drop')) {
      record.state = 'dropped';
      return;
    }
    const latencyMs = faults.reduce((ms, f) => (f.kind === 'webhook_latency' ? ms + f.ms : ms), 0);
    const job: Job = { record, body, secret: sub.signing_secret, latencyMs, generation: this.generation };
    const hold = faults.find((f) => f.kind === 'webhook_out_of_order');
    if (hold && !this.held.has(sub.uid)) {
      record.state = 'held';
      record.reordered = true;
      const timer = setTimeout(() => this.release(sub.uid), hold.maxHoldMs);
      this.held.set(sub.uid, { job, timer });
    } else {
      this.enqueueFirstAttempt(sub.uid, job);
    }
    if (faults.some((f) => f.kind === 'webhook_duplicate')) {
      const copy = this.newRecord(sub, timestamp, dataUid, true);
      this.enqueueFirstAttempt(sub.uid, { ...job, record: copy });
    }
  }

  private newRecord(
    sub: SubscriptionRecord,
    timestamp: number,
    dataUid: string,
    duplicate: boolean,
  ): DeliveryRecord {
    const record: DeliveryRecord = {
      id: `dlv-${randomBytes(5).toString('hex')}`,
      subscriptionUid: sub.uid,
      pharmacyUid: sub.pharmacy_uid,
      eventType: sub.notification_type,
      target: sub.target,
      timestamp,
      dataUid,
      state: 'pending',
      duplicate,
      reordered: false,
      createdAt: new Date().toISOString(),
      attempts: [],
    };
    this.deliveries.push(record);
    return record;
  }

  private enqueueFirstAttempt(subUid: string, job: Job): void {
    this.pending += 1;
    const previous = this.chains.get(subUid) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if (job.latencyMs > 0) await sleep(job.latencyMs, this.shutdown.signal);
        await this.attempt(job, 1);
        // An out-of-order delivery held for this subscription goes out right after the one that overtook it.
        if (!job.record.reordered && job.generation === this.generation) this.release(subUid);
      })
      .catch((err: unknown) => {
        console.error(`[sandbox] webhook delivery ${job.record.id} crashed: ${(err as Error).message}`);
      });
    this.chains.set(subUid, next);
  }

  private release(subUid: string): void {
    const held = this.held.get(subUid);
    if (!held) return;
    clearTimeout(held.timer);
    this.held.delete(subUid);
    held.job.record.state = 'pending';
    this.enqueueFirstAttempt(subUid, held.job);
  }

  private async attempt(job: Job, attempt: number): Promise<void> {
    if (this.shutdown.signal.aborted || job.generation !== this.generation) return;
    const { record } = job;
    const began = performance.now();
    const at = new Date().toISOString();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(record.target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-webhook-event': record.eventType,
          'x-webhook-signature': createHmac('sha256', job.secret).update(job.body, 'utf8').digest('hex'),
        },
        body: job.body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.shutdown.signal]),
      });
      status = response.status;
      await response.arrayBuffer().catch(() => undefined);
      if (status < 200 || status > 299) error = `receiver answered ${status}`;
    } catch (err) {
      error = describeFetchError(err, this.options.timeoutMs);
    }
    if (this.shutdown.signal.aborted || job.generation !== this.generation) return;
    record.attempts.push({ attempt, at, status, durationMs: Math.round(performance.now() - began), error });
    if (error === null) {
      record.state = 'delivered';
      this.pending -= 1;
      return;
    }
    if (attempt >= this.options.maxAttempts) {
      record.state = 'failed';
      this.pending -= 1;
      return;
    }
    record.state = 'retrying';
    const delay = retryDelayMs(attempt, this.options);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(job, attempt + 1);
    }, delay);
    this.timers.add(timer);
  }
}

/** Exponential backoff without jitter (deterministic for tests): the wait after attempt n. */
export function retryDelayMs(
  attempt: number,
  options: Pick<WebhookDeliveryOptions, 'baseDelayMs' | 'maxDelayMs'>,
): number {
  return Math.min(options.baseDelayMs * 2 ** (attempt - 1), options.maxDelayMs);
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  // Duck-typed, not instanceof: fetch's errors may come from another realm (e.g. under Jest's VM modules).
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    name?: string;
    message?: string;
    cause?: { code?: string };
  };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const message = e.message ?? 'delivery failed';
  return e.cause?.code ? `${message} (${e.cause.code})` : message;
}
