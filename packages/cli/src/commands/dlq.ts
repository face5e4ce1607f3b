import { randomUUID } from 'node:crypto';
import { ConsumerGroups } from '@rxbridge/contracts/topics';
import {
  inspectDeadLetter,
  listDeadLetters,
  replayDeadLetter,
  REPLAYED_FROM_HEADER,
  type DeadLetterSummary,
} from '@rxbridge/service-kit/dead-letters';
import { type Command } from 'commander';
import { type Kafka } from 'kafkajs';
import { CliError, ExitCode, usageError } from '../cli-error.js';
import { kafkaSection, load } from '../config.js';
import { cliKafka, withKafka } from '../deps.js';
import { printJson, printLine, printTable, Progress } from '../output.js';

const GROUP = /^[A-Za-z0-9._-]{1,200}$/;
/** A replay is looked for from this long before the dead letter's failure time (clock skew between hosts). */
const REPLAY_SCAN_MARGIN_MS = 10 * 60_000;

interface Filters {
  since?: string;
  type?: string;
  limit?: string;
}

function checkGroup(group: string): string {
  if (!GROUP.test(group))
    throw usageError(
      `"${group}" is not a consumer group name`,
      `the services' groups: ${Object.values(ConsumerGroups).join(', ')}`,
    );
  return group;
}

/** `--since`: an ISO time, or a duration back from now (30m, 2h, 7d). */
export function parseSince(text: string): Date {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (m)
    return new Date(
      Date.now() -
        Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'],
    );
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw usageError(
      `--since "${text}" is neither a time nor a duration`,
      'e.g. --since 2h or --since 2026-12-01T22:00:00Z',
    );
  return new Date(t);
}

function parseAddress(text: string): { partition: number; offset: string } {
  const m = /^(\d+):(\d+)$/.exec(text);
  if (!m)
    throw usageError(
      `"${text}" is not a dead letter's address`,
      'give <partition:offset>, as `rxbridge dlq list` shows it',
    );
  return { partition: Number(m[1]), offset: m[2]! };
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 10_000;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw usageError('--limit must be a positive integer');
  return n;
}

async function lettersOf(kafka: Kafka, group: string, filters: Filters): Promise<DeadLetterSummary[]> {
  const since = filters.since === undefined ? undefined : parseSince(filters.since);
  const limit = parseLimit(filters.limit);
  let letters: DeadLetterSummary[];
  try {
    letters = await listDeadLetters(kafka, group, { limit: Number.MAX_SAFE_INTEGER });
  } catch (error) {
    if (/does not host this topic-partition|UNKNOWN_TOPIC/i.test(String((error as Error).message ?? error)))
      throw new CliError(
        `there is no dead-letter topic ${group}.dlq`,
        ExitCode.failed,
        `check the group name, or run \`rxbridge topics provision\``,
      );
    throw error;
  }
  return letters
    .filter((l) => (since ? Date.parse(l.failedAt) >= since.getTime() : true))
    .filter((l) => (filters.type ? l.eventType === filters.type : true))
    .slice(0, limit);
}

export const replayMark = (group: string, l: { partition: number; offset: string }): string =>
  `${group}.dlq/${l.partition}/${l.offset}`;

/**
 * The dead letters of `group` already replayed: the `rxbridge-replayed-from` header of the records on their
 * source topics, read from (the earliest failure time - a margin) to the current end. Kafka itself is the record
 * of what was replayed, so no second store can disagree with it.
 */
async function replayedMarks(kafka: Kafka, letters: DeadLetterSummary[]): Promise<Set<string>> {
  const marks = new Set<string>();
  const byTopic = new Map<string, number>();
  for (const l of letters) {
    if (!l.sourceTopic) continue;
    const t = Date.parse(l.failedAt);
    const from = Number.isNaN(t) ? 0 : t - REPLAY_SCAN_MARGIN_MS;
    byTopic.set(l.sourceTopic, Math.min(byTopic.get(l.sourceTopic) ?? Number.MAX_SAFE_INTEGER, from));
  }
  if (byTopic.size === 0) return marks;
  const admin = kafka.admin();
  await admin.connect();
  const ranges: { topic: string; partition: number; start: string; end: bigint }[] = [];
  try {
    for (const [topic, from] of byTopic) {
      const starts = await admin.fetchTopicOffsetsByTimestamp(topic, from);
      const ends = await admin.fetchTopicOffsets(topic);
      for (const e of ends) {
        const start = starts.find((s) => s.partition === e.partition)?.offset ?? e.low;
        const startN = BigInt(start === '-1' ? e.high : start);
        if (startN < BigInt(e.high))
          ranges.push({ topic, partition: e.partition, start: String(startN), end: BigInt(e.high) });
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (ranges.length === 0) return marks;
  const groupId = `rxbridge-cli-replay-scan-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    for (const topic of new Set(ranges.map((r) => r.topic)))
      await consumer.subscribe({ topic, fromBeginning: true });
    const remaining = new Map(ranges.map((r) => [`${r.topic}/${r.partition}`, r.end]));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('timed out reading the source topics for earlier replays')),
        60_000,
      );
      consumer
        .run({
          autoCommit: false,
          eachMessage: ({ topic, partition, message }) => {
            const key = `${topic}/${partition}`;
            const end = remaining.get(key);
            if (end === undefined) return Promise.resolve();
            const mark = message.headers?.[REPLAYED_FROM_HEADER];
            if (mark !== undefined) marks.add(Buffer.isBuffer(mark) ? mark.toString('utf8') : String(mark));
            if (BigInt(message.offset) + 1n >= end) remaining.delete(key);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        })
        .then(() => {
          for (const r of ranges) consumer.seek({ topic: r.topic, partition: r.partition, offset: r.start });
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    const admin2 = kafka.admin();
    await admin2.connect();
    await admin2.deleteGroups([groupId]).catch(() => undefined);
    await admin2.disconnect();
  }
  return marks;
}

const summaryRow = (group: string, l: DeadLetterSummary): string[] => [
  group,
  `${l.partition}:${l.offset}`,
  l.failedAt,
  l.eventType ?? '-',
  `${l.sourceTopic}/${l.sourcePartition}/${l.sourceOffset}`,
  l.errorCode,
  String(l.attempts),
  l.error.length > 80 ? `${l.error.slice(0, 79)}…` : l.error,
];

function filterOptions(cmd: Command): Command {
  return cmd
    .option('--since <when>', 'only dead letters written since then: an ISO time or a duration (30m, 2h, 7d)')
    .option('--type <event type>', 'only dead letters of this CloudEvent type')
    .option('--limit <n>', 'at most this many (oldest first)');
}

export function dlqCommand(program: Command): void {
  const dlq = program
    .command('dlq')
    .description(
      `dead letters: the records a consumer group could not handle, on <group>.dlq (groups: ${Object.values(ConsumerGroups).join(', ')})`,
    );

  filterOptions(
    dlq
      .command('list')
      .description(
        'the dead letters (oldest first) with their address <partition:offset>, source record, error and attempts',
      )
      .option('--group <group>', 'one consumer group (default: every service group)'),
  )
    .option('--json', 'print a JSON array')
    .action(async (opts: Filters & { group?: string; json?: boolean }) => {
      const groups = opts.group ? [checkGroup(opts.group)] : Object.values(ConsumerGroups);
      // bad filters are bad usage before anything is read
      if (opts.since !== undefined) parseSince(opts.since);
      parseLimit(opts.limit);
      const { kafka: config } = load({ kafka: kafkaSection() });
      const kafka = await cliKafka(config);
      const rows = await withKafka(config.brokers, async () => {
        const out: (DeadLetterSummary & { group: string })[] = [];
        for (const group of groups) {
          try {
            out.push(...(await lettersOf(kafka, group, opts)).map((l) => ({ group, ...l })));
          } catch (error) {
            // without --group a group whose DLQ was never provisioned simply has none
            if (
              opts.group ||
              !(error instanceof CliError) ||
              !error.message.startsWith('there is no dead-letter topic')
            )
              throw error;
          }
        }
        return out;
      });
      if (opts.json) return printJson(rows);
      if (rows.length === 0) return printLine('no dead letters');
      printTable(
        ['group', 'address', 'failed at', 'type', 'source', 'code', 'attempts', 'error'],
        rows.map((r) => summaryRow(r.group, r)),
      );
    });

  dlq
    .command('show')
    .description(
      'one dead letter: its source record, error, attempts and original headers; the value only with --value',
    )
    .argument('<group>', 'the consumer group')
    .argument('<address>', '<partition:offset> on <group>.dlq')
    .option(
      '--value',
      'also print the original value (it may hold patient data: keep it off tickets and chats)',
    )
    .option('--json', 'print it as JSON')
    .action(async (group: string, address: string, opts: { value?: boolean; json?: boolean }) => {
      checkGroup(group);
      const at = parseAddress(address);
      const { kafka: config } = load({ kafka: kafkaSection() });
      const kafka = await cliKafka(config);
      const letter = await withKafka(config.brokers, () => inspectDeadLetter(kafka, group, at));
      if (!letter)
        throw new CliError(
          `no dead letter at ${group}.dlq ${address}`,
          ExitCode.failed,
          `see \`rxbridge dlq list --group ${group}\``,
        );
      const { value, ...rest } = letter;
      const shown = { group, ...rest, ...(opts.value ? { value: value?.toString('utf8') ?? null } : {}) };
      if (opts.json) return printJson(shown);
      for (const [k, v] of Object.entries(shown))
        printLine(`${k.padEnd(16)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    });

  filterOptions(
    dlq
      .command('replay')
      .description(
        'republish dead letters onto their original topic with their original key, value and headers plus ' +
          `${REPLAYED_FROM_HEADER}: <group>.dlq/<partition>/<offset>. Idempotent: a dead letter whose replay is already ` +
          "on its topic is skipped, and the consumer's inbox drops an event it has handled",
      )
      .argument('<group>', 'the consumer group'),
  )
    .option('--dry-run', 'only say what would be replayed')
    .option('--json', 'print {replayed, skipped} as JSON')
    .action(async (group: string, opts: Filters & { dryRun?: boolean; json?: boolean }) => {
      checkGroup(group);
      const { kafka: config } = load({ kafka: kafkaSection() });
      const kafka = await cliKafka(config);
      const result = await withKafka(config.brokers, async () => {
        const letters = await lettersOf(kafka, group, opts);
        const done = await replayedMarks(kafka, letters);
        const skipped = letters.filter((l) => done.has(replayMark(group, l)));
        const todo = letters.filter((l) => !done.has(replayMark(group, l)));
        const replayed: DeadLetterSummary[] = [];
        if (!opts.dryRun && todo.length > 0) {
          const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
          await producer.connect();
          const progress = new Progress(`replaying ${group}.dlq`, todo.length);
          try {
            for (const l of todo) {
              await replayDeadLetter(kafka, producer, group, l);
              replayed.push(l);
              progress.tick();
            }
          } finally {
            progress.done();
            await producer.disconnect();
          }
        }
        return { todo, replayed, skipped };
      });
      const address = (l: DeadLetterSummary) => `${l.partition}:${l.offset}`;
      if (opts.json)
        return printJson({
          group,
          dryRun: opts.dryRun === true,
          ...(opts.dryRun
            ? { wouldReplay: result.todo.map(address) }
            : { replayed: result.replayed.map(address) }),
          skipped: result.skipped.map(address),
        });
      for (const l of opts.dryRun ? result.todo : result.replayed)
        printLine(
          `${opts.dryRun ? 'would replay' : 'replayed'} ${group}.dlq ${address(l)} -> ${l.sourceTopic}${l.eventType ? ` (${l.eventType})` : ''}`,
        );
      for (const l of result.skipped) printLine(`skipped  ${group}.dlq ${address(l)}: replayed before`);
      if (result.todo.length === 0 && result.skipped.length === 0) printLine('no dead letters match');
    });
}
