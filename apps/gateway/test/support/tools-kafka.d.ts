// Types for the local stack's broker control (tools/kafka/kafka.mjs, checked JavaScript without declarations).
declare module '@rxbridge/tools/kafka' {
  interface KafkaOptions {
    env?: Record<string, string | undefined>;
    log?: (line: string) => void;
  }
  export function startKafka(
    opts?: KafkaOptions,
  ): Promise<{ brokers: string; startedByUs: boolean; external: boolean; pid?: number }>;
  export function stopKafka(opts?: KafkaOptions): Promise<boolean>;
}

// The stack's wiring of the gateway to the sandbox (tools/stack/gateway-wiring.mjs).
declare module '@rxbridge/tools/stack/gateway-wiring' {
  export function subscribeGatewayAtSandbox(o: {
    root: string;
    sandboxUrl: string;
    gatewayWebhookUrl: string;
    seedFile: string;
  }): Promise<Record<string, string>>;
}
