import type {
  WebhookRegisterRequest,
  WebhookRegisterResponse,
  WebhookSubscriptionList,
} from '@rxbridge/rxscale-contract';
import { conflict, notFound } from '../http/http-error.js';
import { newSigningSecret, newUid, unixNow } from '../ids.js';
import type { SandboxStore } from '../store.js';

/**
 * Webhook subscriptions (API.md §7.10-§7.12). A subscription belongs to one pharmacy (with a group key: the
 * one named by `pharmacy_uid`); the secret is shown once, in the register answer.
 */
export class SubscriptionsService {
  constructor(private readonly store: SandboxStore) {}

  list(pharmacyUid: string): WebhookSubscriptionList {
    return [...this.store.subscriptions.values()]
      .filter((s) => s.pharmacy_uid === pharmacyUid)
      .map((s) => ({ uid: s.uid, target: s.target, notification_type: s.notification_type }));
  }

  register(pharmacyUid: string, req: WebhookRegisterRequest): WebhookRegisterResponse {
    for (const s of this.store.subscriptions.values())
      if (
        s.pharmacy_uid === pharmacyUid &&
        s.target === req.target &&
        s.notification_type === req.notification_type
      )
        throw conflict('A subscription for this target and notification_type already exists');
    const sub = {
      uid: newUid('sub'),
      pharmacy_uid: pharmacyUid,
      target: req.target,
      notification_type: req.notification_type,
      signing_secret: newSigningSecret(),
      created_at: unixNow(),
    };
    this.store.subscriptions.set(sub.uid, sub);
    return {
      uid: sub.uid,
      target: sub.target,
      notification_type: sub.notification_type,
      signing_secret: sub.signing_secret,
    };
  }

  remove(pharmacyUid: string, uid: string): void {
    const sub = this.store.subscriptions.get(uid);
    if (!sub || sub.pharmacy_uid !== pharmacyUid) throw notFound();
    this.store.subscriptions.delete(uid);
  }
}
