import { z } from 'zod';
import {
  ConfigError,
  configSchema,
  databaseConfig,
  envBoolean,
  envInt,
  httpConfig,
  kafkaConfig,
  loadConfig,
  loadConfigOrExit,
  CONFIG_EXIT_CODE,
  logConfig,
  rxscaleConfig,
} from '../src/index.js';

const schema = configSchema({
  kafka: kafkaConfig('order-service'),
  database: databaseConfig(),
  http: httpConfig(3001),
  log: logConfig(),
  rxscale: rxscaleConfig(),
});

const goodEnv = {
  RXSCALE_BASE_URL: 'http://127.0.0.1:4010/v1/external-pharmacy-api-v1/',
  RXSCALE_API_KEY: 'rxs_test_8f2a91c4',
  RXSCALE_PHARMACY_UID: 'ph-7q2lnd',
};

function configError(env: Record<string, string | undefined>, s: z.ZodType = schema): ConfigError {
  try {
    loadConfig(s, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('loadConfig accepted a bad environment');
}

describe(loadConfig.name, () => {
  it('turns the environment into a typed nested config with the local defaults', () => {
    const config = loadConfig(schema, goodEnv);
    expect(config).toEqual({
      kafka: { brokers: ['127.0.0.1:9092'], clientId: 'order-service' },
      database: { url: 'postgres://postgres@127.0.0.1:5432/rxbridge' },
      http: { host: '0.0.0.0', port: 3001 },
      log: { level: 'info' },
      rxscale: {
        baseUrl: 'http://127.0.0.1:4010/v1/external-pharmacy-api-v1',
        apiKey: 'rxs_test_8f2a91c4',
        keyScope: 'pharmacy',
        pharmacyUid: 'ph-7q2lnd',
      },
    });
  });

  it('reads every variable it knows', () => {
    const config = loadConfig(schema, {
      ...goodEnv,
      KAFKA_BROKERS: ' kafka-0:9092, kafka-1:9092 ,',
      KAFKA_CLIENT_ID: 'order-service-7',
      DATABASE_URL: 'postgresql://app:pw@db:5432/rxbridge',
      HTTP_PORT: '8080',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      RXSCALE_KEY_SCOPE: 'group',
      RXSCALE_PHARMACY_UID: undefined,
    });
    expect(config.kafka.brokers).toEqual(['kafka-0:9092', 'kafka-1:9092']);
    expect(config.kafka.clientId).toBe('order-service-7');
    expect(config.database.url).toBe('postgresql://app:pw@db:5432/rxbridge');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.log.level).toBe('debug');
    expect(config.rxscale).toMatchObject({ keyScope: 'group', pharmacyUid: undefined });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig(schema, { ...goodEnv, HTTP_PORT: '', KAFKA_BROKERS: '' }).http.port).toBe(3001);
  });

  it('names every problem at once, one line per variable', () => {
    const error = configError({
      KAFKA_BROKERS: 'kafka-0',
      DATABASE_URL: 'mysql://root:hunter2@db/x',
      HTTP_PORT: '99999',
      LOG_LEVEL: 'loud',
      RXSCALE_BASE_URL: 'ftp://rxscale',
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(
      [
        'KAFKA_BROKERS',
        'DATABASE_URL',
        'HTTP_PORT',
        'LOG_LEVEL',
        'RXSCALE_BASE_URL',
        'RXSCALE_API_KEY',
        'RXSCALE_PHARMACY_UID',
      ].sort(),
    );
    expect(error.message).toMatch(/^invalid configuration \(7 problems\):\n/);
    expect(error.message).toContain(
      'KAFKA_BROKERS: item 1 must be host:port with a port of 1-65535 (got "kafka-0")',
    );
    expect(error.message).toContain('HTTP_PORT: Too big');
    expect(error.message).toContain('RXSCALE_API_KEY: is required but not set');
    expect(error.message).toContain('RXSCALE_PHARMACY_UID: is required when RXSCALE_KEY_SCOPE is pharmacy');
    expect(error.message).toContain('LOG_LEVEL: Invalid option');
  });

  it('never quotes a secret, and masks the password of a database URL', () => {
    const error = configError({
      ...goodEnv,
      RXSCALE_API_KEY: 'rxs live key',
      DATABASE_URL: 'mysql://root:hunter2@db/x',
    });
    expect(error.message).toContain('RXSCALE_API_KEY: must not contain spaces or line breaks');
    expect(error.message).not.toContain('rxs live key');
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('mysql://root:***@db/x');
  });

  it('never quotes a custom secret variable either', () => {
    const s = configSchema({
      webhook: z.looseObject({ GATEWAY_SIGNING_SECRET: z.string().min(32) }),
      auth: z.looseObject({
        GATEWAY_ADMIN_TOKEN: z.string().min(32),
        GATEWAY_DB_PASSWORD: z.string().min(32),
      }),
    });
    const error = configError(
      {
        GATEWAY_SIGNING_SECRET: 'whsec_abc',
        GATEWAY_ADMIN_TOKEN: 'tok-123',
        GATEWAY_DB_PASSWORD: 'pw-9',
      },
      s,
    );
    expect(error.problems).toHaveLength(3);
    for (const secret of ['whsec_abc', 'tok-123', 'pw-9']) expect(error.message).not.toContain(secret);
  });

  it('accepts any zod schema over the environment', () => {
    const s = z.object({ WORKERS: envInt({ min: 1, max: 64, default: 4 }), DEMO_MODE: envBoolean(false) });
    expect(loadConfig(s, {})).toEqual({ WORKERS: 4, DEMO_MODE: false });
    expect(loadConfig(s, { WORKERS: '8', DEMO_MODE: 'true' })).toEqual({ WORKERS: 8, DEMO_MODE: true });
    const error = configError({ WORKERS: 'many', DEMO_MODE: 'perhaps' }, s);
    expect(error.message).toContain('WORKERS: must be a whole number (got "many")');
    expect(error.message).toContain('DEMO_MODE: must be true or false (got "perhaps")');
  });
});

describe(loadConfigOrExit.name, () => {
  it('writes the one message and exits with EX_CONFIG instead of a stack trace', () => {
    const written: string[] = [];
    const exit = (code: number): never => {
      throw new Error(`exit ${code}`);
    };
    expect(() => loadConfigOrExit(schema, {}, { write: (t) => written.push(t), exit })).toThrow(
      `exit ${CONFIG_EXIT_CODE}`,
    );
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^invalid configuration \(3 problems\):\n/);
    expect(written[0]).toContain('RXSCALE_BASE_URL: is required but not set');
  });

  it('returns the config when it is valid', () => {
    const exit = (): never => {
      throw new Error('should not exit');
    };
    expect(loadConfigOrExit(schema, goodEnv, { write: () => undefined, exit }).http.port).toBe(3001);
  });
});
