import { ConfigError } from '@rxbridge/service-kit';
import { loadGatewayConfig } from './gateway-config.js';

const secret = 'whsec_do_not_print_me_123456';
const secretsEnv = JSON.stringify({ default: { pharmacy_order_created: [secret] } });

function problemsOf(env: Record<string, string>): string {
  try {
    loadGatewayConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('the configuration was accepted');
}

describe(loadGatewayConfig.name, () => {
  it('applies the documented defaults', () => {
    const c = loadGatewayConfig({ GATEWAY_WEBHOOK_SECRETS: secretsEnv });
    expect(c.http).toEqual({ port: 3000, host: '127.0.0.1', bodyLimitBytes: 1024 * 1024 });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.produce).toMatchObject({ budgetMs: 3000, lingerMs: 2 });
    expect(c.webhooks.maxEventAgeSeconds).toBeUndefined();
    expect(c.topics).toEqual({
      pharmacyOrders: 'rxscale.pharmacy-orders.v1',
      pharmacySkus: 'rxscale.pharmacy-skus.v1',
      unrecognized: 'rxscale.unrecognized.v1',
    });
  });

  it('reads several brokers, sources and secrets per event type', () => {
    const c = loadGatewayConfig({
      KAFKA_BROKERS: 'a:9092, b:9093',
      GATEWAY_WEBHOOK_SECRETS: JSON.stringify({
        default: { pharmacy_order_created: [secret, `${secret}_old`] },
        'chain-2': { pharmacy_sku_stock_updated: [secret] },
      }),
    });
    expect(c.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(c.webhooks.secrets.default?.pharmacy_order_created).toHaveLength(2);
    expect(Object.keys(c.webhooks.secrets)).toEqual(['default', 'chain-2']);
  });

  describe('refuses to start', () => {
    it('without secrets, naming the variable', () => {
      expect(problemsOf({})).toContain('GATEWAY_WEBHOOK_SECRETS');
    });

    it('on secrets that are not JSON, without quoting them', () => {
      const msg = problemsOf({
        GATEWAY_WEBHOOK_SECRETS: `{"default": {"pharmacy_order_created": ["${secret}"]`,
      });
      expect(msg).toContain('GATEWAY_WEBHOOK_SECRETS: is not valid JSON');
      expect(msg).not.toContain('do_not_print');
    });

    it('on a secret too short, naming where it is and not what it is', () => {
      const msg = problemsOf({
        GATEWAY_WEBHOOK_SECRETS: JSON.stringify({ default: { pharmacy_order_created: ['short_secret'] } }),
      });
      expect(msg).toContain(
        'GATEWAY_WEBHOOK_SECRETS: item default.pharmacy_order_created.1 a signing secret has at least 16 characters',
      );
      expect(msg).not.toContain('short_secret');
    });

    it('on a source with no secrets, an empty list, or a bad source name', () => {
      expect(problemsOf({ GATEWAY_WEBHOOK_SECRETS: '{"default": {}}' })).toContain('GATEWAY_WEBHOOK_SECRETS');
      expect(
        problemsOf({ GATEWAY_WEBHOOK_SECRETS: '{"default": {"pharmacy_order_created": []}}' }),
      ).toContain('at least one secret');
      expect(
        problemsOf({ GATEWAY_WEBHOOK_SECRETS: JSON.stringify({ 'Bad Source': { x: [secret] } }) }),
      ).toContain('GATEWAY_WEBHOOK_SECRETS');
      expect(problemsOf({ GATEWAY_WEBHOOK_SECRETS: '{}' })).toContain('at least one source');
    });

    it('naming the listen variables that were renamed', () => {
      const msg = problemsOf({
        GATEWAY_WEBHOOK_SECRETS: secretsEnv,
        GATEWAY_PORT: '3000',
        GATEWAY_HOST: '0.0.0.0',
      });
      expect(msg).toContain('GATEWAY_PORT: was renamed HTTP_PORT');
      expect(msg).toContain('GATEWAY_HOST: was renamed HTTP_HOST');
    });

    it('naming every wrong variable at once', () => {
      const msg = problemsOf({
        GATEWAY_WEBHOOK_SECRETS: secretsEnv,
        HTTP_PORT: 'eighty',
        GATEWAY_PRODUCE_BUDGET_MS: '0',
        GATEWAY_BODY_LIMIT_BYTES: '-1',
        KAFKA_BROKERS: 'no-port',
        GATEWAY_MAX_EVENT_AGE_SECONDS: 'soon',
      });
      for (const v of [
        'HTTP_PORT',
        'GATEWAY_PRODUCE_BUDGET_MS',
        'GATEWAY_BODY_LIMIT_BYTES',
        'KAFKA_BROKERS',
        'GATEWAY_MAX_EVENT_AGE_SECONDS',
      ]) {
        expect(msg).toContain(v);
      }
    });
  });
});
