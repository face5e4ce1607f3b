// @ts-check
// `npm start` wires the gateway to the sandbox with no manual step: the sandbox's webhook subscriptions
// (registered through its RxScale API with the demo seed's group key, one per pharmacy and event type)
// point at the gateway, and the secrets the sandbox returned become the gateway's GATEWAY_WEBHOOK_SECRETS.
// Topics come from the catalog, provisioned before any app starts (the broker never auto-creates them).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const EVENT_TYPES = ['pharmacy_order_created', 'pharmacy_order_updated', 'pharmacy_sku_stock_updated'];

/**
 * Creates every catalog topic that is missing (service-kit's provisioning; existing ones are left alone),
 * plus the dead-letter topic of each consumer group the stack's services run with.
 * @param {string} brokers @param {string[]} [groups]
 */
export async function provisionCatalogTopics(brokers, groups = []) {
  const { allTopics, deadLetterTopic } = await import('@rxbridge/contracts');
  const { createKafkaClient, provisionTopics, silentLogger } = await import('@rxbridge/service-kit');
  const admin = createKafkaClient({
    clientId: 'rxbridge-stack',
    brokers: brokers.split(','),
    logger: silentLogger,
  }).admin();
  await admin.connect();
  try {
    const topics = allTopics();
    for (const g of groups) if (!topics.some((t) => t.name === `${g}.dlq`)) topics.push(deadLetterTopic(g));
    const report = await provisionTopics(admin, topics);
    for (const name of report.reconfigured)
      console.log(`[stack] topic ${name}: settings set to the catalog's`);
    for (const m of report.mismatches) console.warn(`[stack] topic ${m.topic} ${m.problem}`);
    return report;
  } finally {
    await admin.disconnect();
  }
}

/**
 * @param {{ root: string, sandboxUrl: string, gatewayWebhookUrl: string, seedFile: string }} o
 * @returns {Promise<Record<string, string>>} the gateway's env holding the subscriptions' secrets
 */
export async function subscribeGatewayAtSandbox(o) {
  const seed = JSON.parse(readFileSync(resolve(o.root, o.seedFile), 'utf8'));
  /** @type {{ key: string, group_uid?: string, permissions: string[] } | undefined} */
  const groupKey = seed.api_keys.find(
    (/** @type {{ group_uid?: string, permissions: string[] }} */ k) =>
      k.group_uid && k.permissions.includes('webhooks_write'),
  );
  if (!groupKey)
    throw new Error(`${o.seedFile} has no group key with webhooks_write; the gateway cannot be subscribed`);
  const pharmacies = seed.pharmacies
    .filter((/** @type {{ group_uid?: string }} */ p) => p.group_uid === groupKey.group_uid)
    .map((/** @type {{ uid: string }} */ p) => p.uid);
  /** @type {Record<string, string[]>} */
  const secrets = {};
  for (const pharmacy of pharmacies) {
    for (const type of EVENT_TYPES) {
      const res = await fetch(
        `${o.sandboxUrl}/v1/external-pharmacy-api-v1/webhooks/?pharmacy_uid=${encodeURIComponent(pharmacy)}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': groupKey.key },
          body: JSON.stringify({ target: o.gatewayWebhookUrl, notification_type: type }),
        },
      );
      if (!res.ok)
        throw new Error(`the sandbox refused the ${type} subscription for ${pharmacy}: ${res.status}`);
      const sub = /** @type {{ signing_secret: string }} */ (await res.json());
      (secrets[type] ??= []).push(sub.signing_secret);
    }
  }
  console.log(
    `[stack] sandbox: ${pharmacies.length * EVENT_TYPES.length} webhook subscriptions point at ${o.gatewayWebhookUrl}`,
  );
  return { GATEWAY_WEBHOOK_SECRETS: JSON.stringify({ default: secrets }) };
}
