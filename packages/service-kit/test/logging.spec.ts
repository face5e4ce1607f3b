import type { DestinationStream } from 'pino';
import { createLogger, NestPinoLogger, runWithTrace, traceFromHeaders } from '../src/index.js';

function capture(): {
  stream: DestinationStream;
  lines: () => Record<string, unknown>[];
  text: () => string;
} {
  const chunks: string[] = [];
  return {
    stream: { write: (chunk: string) => void chunks.push(chunk) },
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

// Invented values, each unique so that finding it anywhere in the output means it leaked.
const address = (tag: string) => ({
  first_name: `Jana${tag}`,
  last_name: `Vogelsang${tag}`,
  street: `Karl-Liebknecht-Str${tag}`,
  house_number: `42a${tag}`,
  zip_code: `04107${tag}`,
  additional_address: `2. OG${tag}`,
});

const webhookBody = {
  event_type: 'pharmacy_order_created',
  timestamp: 1736331000,
  data: {
    uid: 'po-k4t9w2',
    status: 'waiting for pharmacy',
    pharmacy: { uid: 'ph-7q2lnd', display_name: 'Apotheke am Lindenplatz' },
    order: { uid: 'ord-3b81fe', delivery_address: address('-D'), invoice_address: address('-I') },
    order_items: [{ uid: 'oi-5520a', sku: { display_name: 'Ibuprofen 400 mg', pzn: '06312077' } }],
    patient_data: {
      uid: 'pat-e90d1',
      display_name: 'Jana Patient',
      email: 'j.vogelsang@example.org',
      date_of_birth: '1984-07-02',
    },
  },
};

const SENSITIVE = [
  'Jana-D',
  'Vogelsang-I',
  'Karl-Liebknecht-Str-D',
  '42a-I',
  '04107-D',
  '2. OG-I',
  'Jana Patient',
  'j.vogelsang@example.org',
  '1984-07-02',
  'pat-e90d1',
  'rxs_live_SECRET_KEY_1',
  'rxs_live_SECRET_KEY_2',
  'rxs_live_SECRET_KEY_3',
  'a3f1c0ffee5ignature',
  'Bearer tok_SECRET',
  'whsec_SECRET',
  'c2VjcmV0IGJvZHk=',
  'deep-email@example.org',
  'Jana-deep',
];

describe(createLogger.name, () => {
  it('redacts patient data, API keys, signatures, tokens and secrets, and keeps ordinary fields', () => {
    const out = capture();
    const logger = createLogger({ service: 'gateway', destination: out.stream, level: 'trace' });

    logger.info({ webhook: webhookBody }, 'webhook received');
    logger.info(
      {
        req: {
          method: 'POST',
          url: '/webhooks/rxscale',
          headers: {
            'x-api-key': 'rxs_live_SECRET_KEY_1',
            'x-webhook-signature': 'a3f1c0ffee5ignature',
            authorization: 'Bearer tok_SECRET',
            'content-type': 'application/json',
          },
        },
      },
      'request',
    );
    logger.warn(
      { headers: { 'X-API-Key': 'rxs_live_SECRET_KEY_2', 'X-Webhook-Signature': 'a3f1c0ffee5ignature' } },
      'outgoing',
    );
    logger.debug(
      {
        config: {
          rxscale: { baseUrl: 'http://sandbox:4010', apiKey: 'rxs_live_SECRET_KEY_3' },
          webhook: { signing_secret: 'whsec_SECRET' },
        },
      },
      'config',
    );
    logger.info(
      {
        event: {
          type: 'rxscale.pharmacy_order_created',
          subject: 'po-k4t9w2',
          data_base64: 'c2VjcmV0IGJvZHk=',
          rxscalesignature: 'a3f1c0ffee5ignature',
        },
      },
      'stored',
    );
    logger.error({ a: { b: [{ c: { email: 'deep-email@example.org', first_name: 'Jana-deep' } }] } }, 'deep');
    logger.info(webhookBody.data, 'order at the top level');

    const text = out.text();
    for (const value of SENSITIVE) expect([value, text.includes(value)]).toEqual([value, false]);

    const lines = out.lines();
    expect(lines).toHaveLength(7);
    for (const visible of [
      'po-k4t9w2',
      'ord-3b81fe',
      'ph-7q2lnd',
      'Apotheke am Lindenplatz',
      'Ibuprofen 400 mg',
      '06312077',
      'http://sandbox:4010',
      'application/json',
      'webhook received',
    ]) {
      expect([visible, text.includes(visible)]).toEqual([visible, true]);
    }
    expect(lines[0]).toMatchObject({ level: 'info', service: 'gateway', msg: 'webhook received' });
    expect(typeof lines[0]!.time).toBe('string');
    expect((lines[1]!.req as { headers: Record<string, string> }).headers['x-api-key']).toBe('[redacted]');
  });

  it('redacts extra keys a service names', () => {
    const out = capture();
    createLogger({ service: 's', destination: out.stream, redactKeys: ['iban'] }).info({
      payout: { iban: 'DE89370400440532013000' },
    });
    expect(out.text()).not.toContain('DE89370400440532013000');
  });

  it('covers any depth and any spelling of a key, without changing the logged object', () => {
    const out = capture();
    const deep = {
      l1: {
        l2: {
          l3: {
            l4: {
              l5: {
                l6: { l7: { l8: [{ 'Date-Of-Birth': 'deep-dob', FIRST_NAME: 'deep-fn', ok: 'kept' }] } },
              },
            },
          },
        },
      },
    };
    const before = JSON.stringify(deep);
    createLogger({ service: 's', destination: out.stream }).info(deep, 'deep');
    expect(out.text()).not.toContain('deep-dob');
    expect(out.text()).not.toContain('deep-fn');
    expect(out.text()).toContain('kept');
    expect(JSON.stringify(deep)).toBe(before);
  });

  it('redacts the bindings of child loggers too', () => {
    const out = capture();
    const child = createLogger({ service: 's', destination: out.stream }).child({
      headers: { 'x-api-key': 'child-key-1' },
      pharmacy: 'ph-1',
    });
    child.info('from the child');
    child.child({ nested: { signing_secret: 'grandchild-secret' } }).info('from the grandchild');
    expect(out.text()).not.toContain('child-key-1');
    expect(out.text()).not.toContain('grandchild-secret');
    expect(out.lines()[0]).toMatchObject({ service: 's', pharmacy: 'ph-1', msg: 'from the child' });
  });

  it('redacts what errors carry in their own properties', () => {
    const out = capture();
    const logger = createLogger({ service: 's', destination: out.stream });
    const error = Object.assign(new Error('RxScale answered 401'), {
      status: 401,
      request: { headers: { 'X-API-Key': 'err-key-1' } },
      rawBody: '{"patient_data":{"email":"err-leak@example.org"}}',
    });
    logger.error({ err: error }, 'call failed');
    logger.error({ error }, 'call failed again');
    expect(out.text()).not.toContain('err-key-1');
    expect(out.text()).not.toContain('err-leak@example.org');
    const [first, second] = out.lines();
    expect(first!.err).toMatchObject({
      message: 'RxScale answered 401',
      status: 401,
      stack: expect.any(String),
    });
    expect(second!.error).toMatchObject({ message: 'RxScale answered 401', status: 401 });
  });

  it('survives circular objects', () => {
    const out = capture();
    const a: Record<string, unknown> = { email: 'circ@example.org' };
    a.self = a;
    createLogger({ service: 's', destination: out.stream }).info({ a }, 'circular');
    expect(out.text()).not.toContain('circ@example.org');
    expect(out.lines()[0]!.msg).toBe('circular');
  });

  it('stamps each line with the trace and correlation id of the current scope', () => {
    const out = capture();
    const logger = createLogger({ service: 's', destination: out.stream });
    const scope = traceFromHeaders({
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      correlationid: 'corr-7',
    });
    runWithTrace(scope, () => logger.info('inside'));
    logger.info('outside');
    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      correlation_id: 'corr-7',
      span_id: scope.trace.parentId,
    });
    expect(outside).not.toHaveProperty('trace_id');
  });

  it('honours the level', () => {
    const out = capture();
    const logger = createLogger({ service: 's', destination: out.stream, level: 'warn' });
    logger.info('hidden');
    logger.warn('shown');
    expect(out.lines().map((l) => l.msg)).toEqual(['shown']);
  });
});

describe(NestPinoLogger.name, () => {
  it("writes Nest's lines as JSON with their context, stack and redaction", () => {
    const out = capture();
    const nest = new NestPinoLogger(createLogger({ service: 's', destination: out.stream, level: 'trace' }));
    nest.log('Nest application successfully started', 'NestApplication');
    nest.error('handler failed', 'Error: boom\n    at handler (x.ts:1:1)', 'KafkaRuntime');
    nest.warn({ msg: 'odd webhook', patient_data: { email: 'nest-leak@example.org' } }, 'Gateway');
    nest.verbose('very detailed');
    nest.error(new Error('thrown'), 'Ctx');
    const lines = out.lines();
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'Nest application successfully started',
      context: 'NestApplication',
    });
    expect(lines[1]).toMatchObject({
      level: 'error',
      msg: 'handler failed',
      context: 'KafkaRuntime',
      stack: expect.stringContaining('boom'),
    });
    expect(lines[2]).toMatchObject({ level: 'warn', msg: 'odd webhook', context: 'Gateway' });
    expect(lines[3]).toMatchObject({ level: 'trace', msg: 'very detailed' });
    expect(lines[4]).toMatchObject({
      level: 'error',
      msg: 'thrown',
      context: 'Ctx',
      err: { message: 'thrown' },
    });
    expect(out.text()).not.toContain('nest-leak@example.org');
  });

  it("maps Nest's enabled levels onto pino's threshold", () => {
    const out = capture();
    const nest = new NestPinoLogger(createLogger({ service: 's', destination: out.stream, level: 'trace' }));
    nest.setLogLevels(['error', 'warn']);
    nest.log('hidden');
    nest.warn('shown');
    expect(out.lines().map((l) => l.msg)).toEqual(['shown']);
  });
});
