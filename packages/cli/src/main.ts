#!/usr/bin/env node
// rxbridge: the operations CLI. Every command reads the services' own environment variables.
import { Command, CommanderError } from 'commander';
import { CliError, describe, ExitCode, isConnectionFailure } from './cli-error.js';
import { dlqCommand } from './commands/dlq.js';
import { healthCommand } from './commands/health.js';
import { migrateCommand } from './commands/migrate.js';
import { servicesCommands } from './commands/services.js';
import { tokensCommand } from './commands/tokens.js';
import { topicsCommand } from './commands/topics.js';
import { webhooksCommand } from './commands/webhooks.js';

const EXIT_CODES_HELP = `
Exit codes:
  0   ok
  1   a check or an operation failed
  2   bad usage (unknown command, missing or bad argument)
  3   a dependency is unreachable (Kafka, PostgreSQL, RxScale, a service)
  78  bad configuration (an environment variable is missing or wrong)

Configuration: the services' variables (KAFKA_BROKERS, DATABASE_URL, RXSCALE_SOURCES or RXSCALE_BASE_URL +
RXSCALE_API_KEY ..., GATEWAY_WEBHOOK_SECRETS for webhooks rotate), the services' URLs (GATEWAY_URL,
ORDER_SERVICE_URL, INVENTORY_SERVICE_URL, SHIPPING_SERVICE_URL; default http://127.0.0.1:3000-3003) and
RXBRIDGE_API_TOKEN (an operator token) for the commands that call a service. No secret is ever printed,
except the token and signing secrets a command creates, once.`;

export function buildProgram(): Command {
  const program = new Command('rxbridge')
    .description(
      "RxBridge's operations: tokens, topics, webhooks, health, dead letters, migrations, the services' jobs",
    )
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);
  tokensCommand(program);
  topicsCommand(program);
  webhooksCommand(program);
  healthCommand(program);
  dlqCommand(program);
  migrateCommand(program);
  servicesCommands(program);
  return program;
}

async function main(): Promise<number> {
  try {
    await buildProgram().parseAsync(process.argv);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version are not failures; every other commander error is bad usage
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code))
        return ExitCode.ok;
      if (error.code === 'commander.executeSubCommandAsync') return ExitCode.ok;
      // commander has printed its message (and the help hint) already
      return ExitCode.usage;
    }
    if (error instanceof CliError) {
      process.stderr.write(`rxbridge: ${error.message}\n${error.fix ? `  fix: ${error.fix}\n` : ''}`);
      return error.exitCode;
    }
    if (isConnectionFailure(error)) {
      process.stderr.write(`rxbridge: a dependency is unreachable: ${describe(error)}\n`);
      return ExitCode.unreachable;
    }
    process.stderr.write(`rxbridge: ${describe(error)}\n`);
    return ExitCode.failed;
  }
}

process.exit(await main());
