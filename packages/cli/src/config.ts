import {
  configSchema,
  ConfigError,
  databaseConfig,
  kafkaConfig,
  loadConfig,
  rxscaleSourcesConfig,
  HttpUrl,
  envVar,
  type ConfigSection,
} from '@rxbridge/service-kit/config';
import { z } from 'zod';
import { CliError, ExitCode } from './cli-error.js';

/**
 * The CLI reads the services' own variables through service-kit's sections, each command only the sections it
 * needs (so `tokens create` works with no Kafka or RxScale configured). A ConfigError (which never quotes a
 * secret) becomes exit 78.
 */
export function load<S extends Record<string, ConfigSection>>(
  sections: S,
): { [K in keyof S]: z.output<S[K]> } {
  try {
    return loadConfig(configSchema(sections));
  } catch (error) {
    if (error instanceof ConfigError)
      throw new CliError(
        error.message,
        ExitCode.config,
        'set the variables named above (the services read the same ones; see .env.example)',
      );
    throw error;
  }
}

export const kafkaSection = () => kafkaConfig('rxbridge-cli');
export const databaseSection = databaseConfig;
export const rxscaleSection = rxscaleSourcesConfig;

/** The services' base URLs: the same names the services use for each other, defaults the local ports. */
export const SERVICE_URL_VARIABLES = {
  gateway: 'GATEWAY_URL',
  'order-service': 'ORDER_SERVICE_URL',
  'inventory-service': 'INVENTORY_SERVICE_URL',
  'shipping-service': 'SHIPPING_SERVICE_URL',
} as const;
export type ServiceName = keyof typeof SERVICE_URL_VARIABLES;

const DEFAULT_PORTS: Record<ServiceName, number> = {
  gateway: 3000,
  'order-service': 3001,
  'inventory-service': 3002,
  'shipping-service': 3003,
};

export interface ServicesConfig {
  urls: Record<ServiceName, string>;
  /** RXBRIDGE_API_TOKEN: an operator token (scope `operator`, plus `orders:read` for `orders show`). */
  apiToken: string | undefined;
}

export function servicesSection() {
  const url = (name: ServiceName) =>
    envVar(HttpUrl.optional(), {
      description: `${name} base URL for the CLI`,
      default: `http://127.0.0.1:${DEFAULT_PORTS[name]}`,
    });
  return z
    .looseObject({
      GATEWAY_URL: url('gateway'),
      ORDER_SERVICE_URL: url('order-service'),
      INVENTORY_SERVICE_URL: url('inventory-service'),
      SHIPPING_SERVICE_URL: url('shipping-service'),
      RXBRIDGE_API_TOKEN: envVar(
        z.string().regex(/^\S+$/, 'must not contain spaces or line breaks').optional(),
        {
          description: 'Bearer token of the CLI for the services (an operator token)',
          secret: true,
        },
      ),
    })
    .transform((env): ServicesConfig => ({
      urls: Object.fromEntries(
        (
          Object.entries(SERVICE_URL_VARIABLES) as [
            ServiceName,
            (typeof SERVICE_URL_VARIABLES)[ServiceName],
          ][]
        ).map(([name, variable]) => [
          name,
          (env[variable] ?? `http://127.0.0.1:${DEFAULT_PORTS[name]}`).replace(/\/+$/, ''),
        ]),
      ) as Record<ServiceName, string>,
      apiToken: env.RXBRIDGE_API_TOKEN,
    }));
}
