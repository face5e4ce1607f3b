import { allTopics } from '@rxbridge/contracts/topics';
import { type Command } from 'commander';
import { CliError, ExitCode } from '../cli-error.js';
import { kafkaSection, load } from '../config.js';
import { cliKafka, withKafka } from '../deps.js';
import { printJson, printLine } from '../output.js';

export function topicsCommand(program: Command): void {
  const topics = program.command('topics').description('the Kafka topics of the catalog (contracts)');
  topics
    .command('provision')
    .description(
      "create the catalog's missing topics and its DLQs, bring existing topics' retention, cleanup and size " +
        'limit to the catalog; partition counts that differ are reported (exit 1), never changed',
    )
    .option('--replication-factor <n>', "replicas per partition (default: the broker's default)", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new CliError('--replication-factor must be a positive integer', ExitCode.usage);
      return n;
    })
    .option('--json', 'print the provisioning report as JSON')
    .action(async (opts: { replicationFactor?: number; json?: boolean }) => {
      const { kafka: config } = load({ kafka: kafkaSection() });
      const kafka = await cliKafka(config);
      const { provisionTopics } = await import('@rxbridge/service-kit/kafka');
      const report = await withKafka(config.brokers, async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          return await provisionTopics(
            admin,
            allTopics(),
            opts.replicationFactor === undefined ? {} : { replicationFactor: opts.replicationFactor },
          );
        } finally {
          await admin.disconnect();
        }
      });
      if (opts.json) printJson(report);
      else {
        for (const name of report.created) printLine(`created       ${name}`);
        for (const name of report.existing)
          printLine(`${report.reconfigured.includes(name) ? 'reconfigured' : 'up to date  '}  ${name}`);
        for (const m of report.mismatches) printLine(`MISMATCH      ${m.topic}: ${m.problem}`);
      }
      if (report.mismatches.length > 0)
        throw new CliError(
          `${report.mismatches.length} topic(s) differ from the catalog in partitions`,
          ExitCode.failed,
          'partitions are never changed automatically (it would move keys); recreate the topic or accept the difference',
        );
    });
}
