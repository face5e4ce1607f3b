import { type INestMicroservice } from '@nestjs/common';
import { type Admin, type Consumer, type IHeaders, type Producer } from 'kafkajs';
import type { DestinationStream } from 'pino';
import {
  createLogger,
  createPlumbingMicroservice,
  currentTrace,
  outgoingTraceHeaders,
  parseTraceparent,
  ServiceMetrics,
  TransientError,
  type CommandOutcome,
  type RxscaleCommand,
} from '../src/index.js';
import { brokers, createTopics, deleteTopics, kafkaClient, uniqueSuffix, waitFor } from '@rxbridge/testing';
import {
  count,
  createTestSchema,
  offsetsCommittedToEnd,
  type TestSchema,
} from './support/plumbing-harness.js';
import { wiredEvent, WiringModule } from './support/wiring.controller.js';

function capture(): { stream: DestinationStream; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  return {
    stream: { write: (chunk: string) => void chunks.push(chunk) },
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const INCOMING_PARENT = '00f067aa0ba902b7';
const POISON_TRACE = 'aa0b4bf92f3577b34da6a3ce929d0e07';
const POISON_TRACEPARENT = `00-${POISON_TRACE}-b7ad6b7169203331-01`;

interface Executed {
  command: RxscaleCommand;
  traceId: string | undefined;
  correlationId: string | undefined;
  outgoing: { traceparent: string; correlationid: string };
}

/**
 * One service assembled the way a real one is: createPlumbingMicroservice with the service's logger and
 * metrics, its outbox and command relays, against the real broker and database.
 */
describe('service-kit wiring (consumer + outbox + commands + metrics + tracing + logging)', () => {
  const kafka = kafkaClient('wiring-test');
  const id = uniqueSuffix();
  const inTopic = `test.wiring.in.${id}`;
  const outTopic = `test.wiring.out.${id}`;
  const group = `wiring-test-${id}`;
  const watchGroup = `wiring-watch-${id}`;
  const log = capture();
  const logger = createLogger({ service: 'wiring-test', destination: log.stream, level: 'info' });
  const metrics = new ServiceMetrics({ service: 'wiring-test', defaultMetrics: false });
  const executed: Executed[] = [];
  const published: { key: string | null; value: Record<string, unknown>; headers: Record<string, string> }[] =
    [];
  let reached!: () => void;
  const gateReached = new Promise<void>((resolve) => (reached = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let admin: Admin;
  let producer: Producer;
  let watcher: Consumer;
  let db: TestSchema;
  let app: INestMicroservice;

  const execute = (command: RxscaleCommand): Promise<CommandOutcome> => {
    const scope = currentTrace();
    executed.push({
      command,
      traceId: scope?.trace.traceId,
      correlationId: scope?.correlationId,
      outgoing: outgoingTraceHeaders(),
    });
    // 'test.hold' stands for RxScale being down: retried with backoff, so it stays in the backlog
    if (command.kind === 'test.hold') return Promise.reject(new TransientError('RxScale unavailable'));
    return Promise.resolve({ outcome: 'done' });
  };

  async function send(
    partition: number,
    messages: { key: string; value: string | Buffer; headers?: IHeaders }[],
  ): Promise<void> {
    await producer.send({ topic: inTopic, messages: messages.map((m) => ({ ...m, partition })) });
  }

  async function scrape(): Promise<string[]> {
    return (await metrics.render()).body.split('\n');
  }

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
    db = await createTestSchema();
    await createTopics(admin, [
      { name: inTopic, partitions: 2 },
      { name: outTopic, partitions: 1 },
      { name: `${group}.dlq`, partitions: 1 },
    ]);
    watcher = kafka.consumer({ groupId: watchGroup, maxWaitTimeInMs: 200 });
    await watcher.connect();
    await watcher.subscribe({ topics: [outTopic], fromBeginning: true });
    await watcher.run({
      eachMessage: ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        published.push({
          key: message.key?.toString() ?? null,
          value: JSON.parse(message.value!.toString()) as Record<string, unknown>,
          headers,
        });
        return Promise.resolve();
      },
    });
    const built = await createPlumbingMicroservice(
      WiringModule.forRoot({ outTopic, logger, gate: { reached, released } }),
      {
        kafka: { brokers, clientId: group },
        groupId: group,
        topics: [inTopic],
        dataSource: db.dataSource,
        backoff: { initialMs: 20, maxMs: 100 },
        logger,
        metrics,
        outboxRelay: { pollIntervalMs: 200 },
        commandRelay: { execute, pollIntervalMs: 200, backoff: { initialMs: 100, maxMs: 500 } },
      },
    );
    app = built.app;
    await app.listen();
  });

  afterAll(async () => {
    release();
    await app?.close();
    await watcher?.disconnect();
    await producer?.disconnect();
    await db?.drop();
    await deleteTopics(admin, [inTopic, outTopic, `${group}.dlq`]);
    await admin.deleteGroups([group, watchGroup]).catch(() => undefined);
    await admin.disconnect();
  });

  describe('tracing', () => {
    it('continues the record’s trace in the event it publishes and the RxScale command it queues', async () => {
      const incoming = `00-${INCOMING_TRACE}-${INCOMING_PARENT}-01`;
      const event = wiredEvent('test.wired', { key: 'order-traced', command: 'test.call' });
      await send(0, [
        {
          key: 'order-traced',
          value: JSON.stringify(event),
          headers: { traceparent: incoming, correlationid: 'corr-wiring-1' },
        },
      ]);
      const out = await waitFor(
        () => published.find((p) => (p.value.data as { cause: string }).cause === event.id),
        'the follow-up event on the out topic',
      );
      const outTrace = parseTraceparent(out.headers.traceparent);
      expect(outTrace?.traceId).toBe(INCOMING_TRACE);
      expect(outTrace?.parentId).not.toBe(INCOMING_PARENT);
      expect(out.headers.correlationid).toBe('corr-wiring-1');

      const call = await waitFor(
        () => executed.find((e) => e.command.targetUid === 'order-traced'),
        'the command executed',
      );
      expect(call.command.headers.traceparent).toBe(out.headers.traceparent);
      expect(call.traceId).toBe(INCOMING_TRACE);
      expect(call.correlationId).toBe('corr-wiring-1');
      // what the RxScale client would send as its traceparent header: same trace, the executor's own span
      const sent = parseTraceparent(call.outgoing.traceparent);
      expect(sent?.traceId).toBe(INCOMING_TRACE);
      expect([INCOMING_PARENT, outTrace?.parentId]).not.toContain(sent?.parentId);

      // the handler's log line went through the service logger, inside the record's scope
      const line = log.lines().find((l) => l.msg === 'handling wired record' && l.event_id === event.id);
      expect(line).toMatchObject({
        service: 'wiring-test',
        trace_id: INCOMING_TRACE,
        correlation_id: 'corr-wiring-1',
      });
    });

    it('starts a new trace for a record without a traceparent, and keeps it through outbox and command', async () => {
      const event = wiredEvent('test.wired', { key: 'order-untraced', command: 'test.call' });
      await send(1, [{ key: 'order-untraced', value: JSON.stringify(event) }]);
      const out = await waitFor(
        () => published.find((p) => (p.value.data as { cause: string }).cause === event.id),
        'the follow-up event',
      );
      const outTrace = parseTraceparent(out.headers.traceparent);
      expect(outTrace).toBeDefined();
      expect(outTrace?.traceId).not.toBe(INCOMING_TRACE);
      expect(out.headers.correlationid).toMatch(/^[0-9a-f-]{36}$/);
      const call = await waitFor(
        () => executed.find((e) => e.command.targetUid === 'order-untraced'),
        'the command executed',
      );
      expect(call.traceId).toBe(outTrace?.traceId);
      expect(call.correlationId).toBe(out.headers.correlationid);
    });
  });

  describe('metrics', () => {
    it('counts handled and dead-lettered records, and publishes relay and command outcomes', async () => {
      await send(0, [
        {
          key: 'order-poison',
          value: JSON.stringify(wiredEvent('test.poison', { key: 'order-poison' })),
          headers: { traceparent: POISON_TRACEPARENT },
        },
        { key: 'order-garbage', value: 'not json at all' },
        {
          key: 'order-after',
          value: JSON.stringify(wiredEvent('test.wired', { key: 'order-after', command: 'test.hold' })),
        },
      ]);
      await waitFor(() => executed.some((e) => e.command.kind === 'test.hold'), 'the held command tried');
      await waitFor(() => offsetsCommittedToEnd(admin, group, inTopic), 'offsets committed');
      expect(await count(db.sql, 'SELECT 1 FROM inbox')).toBe(3);

      const labels = `topic="${inTopic}",group="${group}"`;
      const body = await scrape();
      expect(body).toEqual(
        expect.arrayContaining([
          `rxbridge_records_handled_total{${labels},outcome="processed",service="wiring-test"} 3`,
          `rxbridge_records_dead_lettered_total{${labels},outcome="transition_not_allowed",service="wiring-test"} 1`,
          `rxbridge_records_dead_lettered_total{${labels},outcome="invalid_json",service="wiring-test"} 1`,
          `rxbridge_outbox_published_total{topic="${outTopic}",service="wiring-test"} 3`,
          `rxbridge_rxscale_commands_total{kind="test.call",outcome="done",service="wiring-test"} 2`,
        ]),
      );
      expect(
        body.some((l) => l.startsWith('rxbridge_rxscale_commands_total{kind="test.hold",outcome="retry"')),
      ).toBe(true);

      // the runtime's and the relay's own lines carry the trace of the record or command they are about
      const deadLettered = log.lines().find((l) => l.msg === 'record dead-lettered');
      expect(deadLettered).toMatchObject({
        service: 'wiring-test',
        trace_id: POISON_TRACE,
        offset: expect.any(String),
      });
      const held = executed.find((e) => e.command.kind === 'test.hold')!;
      const retried = log.lines().find((l) => l.msg === 'RxScale command failed, will retry');
      expect(retried).toMatchObject({ kind: 'test.hold', trace_id: held.traceId });
      expect(JSON.stringify(log.lines())).not.toContain('not json at all');
    });

    it('reports the outbox and command backlog of the schema at scrape time', async () => {
      // an event held back by its backoff (as after Kafka refused it), and the command RxScale keeps refusing
      await db.sql.query(
        `INSERT INTO outbox (topic, key, value, created_at, next_attempt_at)
         VALUES ($1, 'held', '{}', clock_timestamp() - interval '90 seconds', clock_timestamp() + interval '1 hour')`,
        [outTopic],
      );
      const body = await scrape();
      expect(body).toEqual(
        expect.arrayContaining([
          `rxbridge_outbox_backlog{outbox="${db.schema}.outbox",service="wiring-test"} 1`,
          `rxbridge_outbox_backlog{outbox="${db.schema}.rxscale_command",service="wiring-test"} 1`,
          `rxbridge_parked_records{schema="${db.schema}",service="wiring-test"} 0`,
          `rxbridge_metrics_collector_up{collector="outbox_backlog:${db.schema}",service="wiring-test"} 1`,
        ]),
      );
      const age = body.find((l) =>
        l.startsWith(`rxbridge_outbox_oldest_age_seconds{outbox="${db.schema}.outbox"`),
      );
      expect(Number(age?.split(' ')[1])).toBeGreaterThanOrEqual(90);
      const commandAge = body.find((l) =>
        l.startsWith(`rxbridge_outbox_oldest_age_seconds{outbox="${db.schema}.rxscale_command"`),
      );
      expect(Number(commandAge?.split(' ')[1])).toBeGreaterThan(0);
    });

    it('reports consumer lag per owned partition from the broker: records behind a stuck one, then none', async () => {
      await send(0, [
        { key: 'order-gated', value: JSON.stringify(wiredEvent('test.gated', { key: 'order-gated' })) },
        ...[1, 2, 3].map((n) => ({
          key: `order-behind-${n}`,
          value: JSON.stringify(wiredEvent('test.wired', { key: `order-behind-${n}` })),
        })),
      ]);
      await gateReached;
      const lag = (partition: number) =>
        `rxbridge_consumer_lag{topic="${inTopic}",group="${group}",partition="${partition}",service="wiring-test"}`;
      let body = await scrape();
      // the gated record and the three behind it are not committed; partition 1 is fully committed
      expect(body).toEqual(expect.arrayContaining([`${lag(0)} 4`, `${lag(1)} 0`]));
      expect(body).toContain(
        `rxbridge_metrics_collector_up{collector="consumer_lag:${group}",service="wiring-test"} 1`,
      );

      release();
      await waitFor(() => offsetsCommittedToEnd(admin, group, inTopic), 'offsets committed after release');
      body = await scrape();
      expect(body).toEqual(expect.arrayContaining([`${lag(0)} 0`, `${lag(1)} 0`]));
      expect(body).toContain(
        `rxbridge_records_handled_total{topic="${inTopic}",group="${group}",outcome="processed",service="wiring-test"} 7`,
      );
    });
  });
});
