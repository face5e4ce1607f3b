// The RxScale side of `rxbridge webhooks`: the subscriptions registered, listed and removed under one source,
// and the parsing of the --events and --url a registration needs.
import {
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
  type WebhookSubscription,
} from '@rxbridge/rxscale-client/contract';
import { type RxscaleSourceConfig } from '@rxbridge/service-kit/config';
import { CliError, usageError } from '../../cli-error.js';
import { clientFor, rxscaleFailure } from '../../rxscale.js';

export interface Registered {
  uid: string;
  target: string;
  notification_type: WebhookEventType;
  pharmacy_uid: string | null;
}

export function parseEvents(text: string | undefined): WebhookEventType[] {
  if (text === undefined) return [...WEBHOOK_EVENT_TYPES];
  const events = [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = events.filter((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
  if (events.length === 0 || unknown.length > 0)
    throw usageError(
      `--events: unknown event type(s) ${unknown.join(', ') || '(none given)'}`,
      `use some of: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
    );
  return events as WebhookEventType[];
}

export function parseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
    return url;
  } catch {
    throw usageError(
      `--url "${url}" is not an http(s) URL`,
      "give the gateway's public URL, e.g. https://rxbridge.example/webhooks/rxscale",
    );
  }
}

export async function register(
  source: RxscaleSourceConfig,
  pharmacies: (string | undefined)[],
  url: string,
  events: WebhookEventType[],
): Promise<{ registered: Registered[]; secrets: Record<string, string[]>; failure?: CliError }> {
  const { client, close } = await clientFor(source);
  const registered: Registered[] = [];
  const secrets: Record<string, string[]> = {};
  try {
    for (const pharmacy of pharmacies)
      for (const type of events) {
        const sub = await client.registerWebhook(
          { target: url, notification_type: type },
          pharmacy === undefined ? {} : { pharmacyUid: pharmacy },
        );
        registered.push({
          uid: sub.uid,
          target: sub.target,
          notification_type: sub.notification_type,
          pharmacy_uid: pharmacy ?? null,
        });
        (secrets[type] ??= []).push(sub.signing_secret);
      }
  } catch (error) {
    const failure = await rxscaleFailure(source, error, 'webhooks_write');
    if (registered.length === 0) throw failure;
    // What did register must not be lost (RxScale never shows a secret again): the caller emits it the usual
    // way (stdout or the manifest, never stderr) and then fails.
    return { registered, secrets, failure };
  } finally {
    await close();
  }
  return { registered, secrets };
}

export async function list(
  source: RxscaleSourceConfig,
  pharmacies: (string | undefined)[],
): Promise<(WebhookSubscription & { pharmacy_uid: string | null })[]> {
  const { client, close } = await clientFor(source);
  try {
    const out: (WebhookSubscription & { pharmacy_uid: string | null })[] = [];
    for (const pharmacy of pharmacies) {
      const subs = await client.listWebhooks(pharmacy === undefined ? {} : { pharmacyUid: pharmacy });
      out.push(
        ...subs.map((s) => ({
          uid: s.uid,
          target: s.target,
          notification_type: s.notification_type,
          pharmacy_uid: pharmacy ?? null,
        })),
      );
    }
    return out;
  } catch (error) {
    throw await rxscaleFailure(source, error, 'webhooks_read');
  } finally {
    await close();
  }
}

export async function remove(
  source: RxscaleSourceConfig,
  subs: { uid: string; pharmacy_uid: string | null }[],
): Promise<void> {
  const { client, close } = await clientFor(source);
  try {
    for (const sub of subs)
      await client.deleteWebhook(sub.uid, sub.pharmacy_uid === null ? {} : { pharmacyUid: sub.pharmacy_uid });
  } catch (error) {
    throw await rxscaleFailure(source, error, 'webhooks_write');
  } finally {
    await close();
  }
}

export function partial(failure: CliError, registered: number): CliError {
  return new CliError(
    `${failure.message}; ${registered} subscription(s) registered before it, their secrets printed above`,
    failure.exitCode,
    `${failure.fix ? `${failure.fix}; then ` : ''}rerun with --events for the missing event types, or remove the new ones`,
  );
}
