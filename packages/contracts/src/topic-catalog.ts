/**
 * The topic catalog (DESIGN.md §3): every topic RxBridge produces or consumes, with the settings a
 * provisioning step applies. Brokers never auto-create topics in production.
 */
export type CleanupPolicy = 'delete' | 'compact';

export interface TopicDefinition {
  name: string;
  /** What the record key is; records of one key stay in order. */
  key: string;
  partitions: number;
  retentionMs: number;
  cleanupPolicy: CleanupPolicy;
  /** The largest record the topic accepts (`max.message.bytes`); the broker's default when absent. */
  maxMessageBytes?: number;
  /** The consumer groups of RxBridge that read this topic. */
  consumerGroups: readonly ConsumerGroup[];
  description: string;
}

export const ConsumerGroups = {
  orderService: 'order-service',
  inventoryService: 'inventory-service',
  shippingService: 'shipping-service',
} as const;
export type ConsumerGroup = (typeof ConsumerGroups)[keyof typeof ConsumerGroups];

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `rxscale.*` records carry the webhook body base64-encoded inside a CloudEvent: a body at the gateway's
 * default 1 MiB limit becomes a record of about 1.4 MiB, above the broker's 1 MiB default. Such a webhook
 * would be refused on every redelivery and never stored, so these topics accept 2 MiB records.
 */
export const RXSCALE_TOPIC_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

export const Topics = {
  rxscalePharmacyOrders: {
    name: 'rxscale.pharmacy-orders.v1',
    maxMessageBytes: RXSCALE_TOPIC_MAX_MESSAGE_BYTES,
    key: 'pharmacy order uid',
    partitions: 6,
    retentionMs: 14 * DAY_MS,
    cleanupPolicy: 'delete',
    consumerGroups: [ConsumerGroups.orderService],
    description:
      'pharmacy_order_created and pharmacy_order_updated webhooks from RxScale, as received and verified',
  },
  rxscalePharmacySkus: {
    name: 'rxscale.pharmacy-skus.v1',
    maxMessageBytes: RXSCALE_TOPIC_MAX_MESSAGE_BYTES,
    key: 'pharmacy SKU uid',
    partitions: 6,
    retentionMs: 14 * DAY_MS,
    cleanupPolicy: 'delete',
    consumerGroups: [ConsumerGroups.inventoryService],
    description: 'pharmacy_sku_stock_updated webhooks from RxScale, as received and verified',
  },
  rxscaleUnrecognized: {
    name: 'rxscale.unrecognized.v1',
    maxMessageBytes: RXSCALE_TOPIC_MAX_MESSAGE_BYTES,
    key: 'data.uid when present',
    partitions: 1,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
    consumerGroups: [],
    description: 'signed RxScale webhooks of a type the gateway does not know, kept for inspection',
  },
  pharmacyOrders: {
    name: 'pharmacy.orders.v1',
    key: 'pharmacy order uid',
    partitions: 6,
    retentionMs: 14 * DAY_MS,
    cleanupPolicy: 'delete',
    consumerGroups: [ConsumerGroups.inventoryService, ConsumerGroups.shippingService],
    description: 'the order lifecycle as RxBridge drives it (received, status changes, completed, cancelled)',
  },
  pharmacyInventory: {
    name: 'pharmacy.inventory.v1',
    key: 'SKU for stock levels, order uid for reservations',
    partitions: 6,
    retentionMs: 14 * DAY_MS,
    cleanupPolicy: 'delete',
    consumerGroups: [ConsumerGroups.orderService],
    description: 'stock levels and reservations per pharmacy',
  },
  pharmacyShipments: {
    name: 'pharmacy.shipments.v1',
    key: 'pharmacy order uid',
    partitions: 6,
    retentionMs: 14 * DAY_MS,
    cleanupPolicy: 'delete',
    consumerGroups: [ConsumerGroups.orderService],
    description: 'shipments and tracking recorded by the shipping desk',
  },
} as const satisfies Record<string, TopicDefinition>;

export type TopicName = (typeof Topics)[keyof typeof Topics]['name'];

/** One dead-letter topic per consumer group (DESIGN.md §3). */
export function deadLetterTopic(group: string): TopicDefinition {
  return {
    name: `${group}.dlq`,
    key: 'the original record key',
    partitions: 1,
    retentionMs: 30 * DAY_MS,
    cleanupPolicy: 'delete',
    consumerGroups: [],
    description: `records the ${group} group could not handle: the original record, its headers, the error and the attempts`,
  };
}

/** Every topic to provision: the catalog plus one DLQ per consumer group. */
export function allTopics(): TopicDefinition[] {
  const groups = Object.values(ConsumerGroups);
  return [...Object.values(Topics), ...groups.map(deadLetterTopic)];
}
