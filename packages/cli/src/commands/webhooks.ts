// `rxbridge webhooks register | list | remove | rotate`: the commands and their options. The RxScale calls are
// in webhooks/subscriptions.ts, the gateway's secrets (printed or as a Secret manifest) in
// webhooks/gateway-secrets.ts.
import { WEBHOOK_EVENT_TYPES } from '@rxbridge/rxscale-client/contract';
import { type Command } from 'commander';
import { CliError, ExitCode, usageError } from '../cli-error.js';
import { load, rxscaleSection } from '../config.js';
import { printJson, printLine, printTable } from '../output.js';
import { pharmaciesOf, pickSource } from '../rxscale.js';
import {
  currentGatewaySecrets,
  emitSecrets,
  SECRET_MANIFEST_NAME,
  type GatewaySecrets,
} from './webhooks/gateway-secrets.js';
import { list, parseEvents, parseUrl, partial, register, remove } from './webhooks/subscriptions.js';

interface SourceOpts {
  source?: string;
  pharmacy?: string;
  json?: boolean;
}

const sourceOption = [
  '--source <name>',
  'the RxScale source (RXSCALE_SOURCES key; "default" for the single-key variables); needed with several',
] as const;
const pharmacyOption = [
  '--pharmacy <uid>',
  'with a group key: the pharmacy (default: every pharmacy the source lists)',
] as const;

export function webhooksCommand(program: Command): void {
  const webhooks = program
    .command('webhooks')
    .description(
      "RxScale's webhook subscriptions of a source (one per event type), and the gateway's signing secrets",
    );

  webhooks
    .command('register')
    .description(
      "subscribe the gateway at RxScale: one subscription per event type under the source's key; prints the " +
        'signing secrets once as GATEWAY_WEBHOOK_SECRETS, or writes them to a Kubernetes Secret manifest',
    )
    .option(...sourceOption)
    .requiredOption(
      '--url <url>',
      "the gateway's public URL for this source, e.g. https://rxbridge.example/webhooks/rxscale",
    )
    .option('--events <types>', `comma-separated (default all: ${WEBHOOK_EVENT_TYPES.join(', ')})`)
    .option(...pharmacyOption)
    .option(
      '--secret-manifest <file>',
      `write a Secret "${SECRET_MANIFEST_NAME}" to this file (mode 0600) instead of printing the secrets`,
    )
    .option('--namespace <ns>', "the Secret manifest's namespace")
    .option('--json', 'print the subscriptions and secrets as JSON')
    .action(
      async (
        opts: SourceOpts & { url: string; events?: string; secretManifest?: string; namespace?: string },
      ) => {
        const url = parseUrl(opts.url);
        const events = parseEvents(opts.events);
        if (opts.namespace && !opts.secretManifest)
          throw usageError('--namespace goes with --secret-manifest');
        const { rxscale } = load({ rxscale: rxscaleSection() });
        const source = pickSource(rxscale.sources, opts.source);
        const { registered, secrets, failure } = await register(
          source,
          pharmaciesOf(source, opts.pharmacy),
          url,
          events,
        );
        await emitSecrets({ [source.name]: secrets }, registered, opts, failure ? { incomplete: true } : {});
        if (failure) throw partial(failure, registered.length);
      },
    );

  webhooks
    .command('list')
    .description("the source's subscriptions at RxScale (RxScale never lists the secrets)")
    .option(...sourceOption)
    .option(...pharmacyOption)
    .option('--json', 'print a JSON array')
    .action(async (opts: SourceOpts) => {
      const { rxscale } = load({ rxscale: rxscaleSection() });
      const source = pickSource(rxscale.sources, opts.source);
      const subs = await list(source, pharmaciesOf(source, opts.pharmacy));
      if (opts.json) return printJson(subs);
      if (subs.length === 0) return printLine(`no subscriptions for source "${source.name}"`);
      printTable(
        ['uid', 'event type', 'pharmacy', 'target'],
        subs.map((s) => [s.uid, s.notification_type, s.pharmacy_uid ?? '-', s.target]),
      );
    });

  webhooks
    .command('remove')
    .description(
      "delete subscriptions at RxScale by uid (see `webhooks list`); the gateway's secrets for them can go too",
    )
    .argument('<uid...>', 'subscription uids')
    .option(...sourceOption)
    .option(...pharmacyOption)
    .option('--json', 'print {removed: [...]} as JSON')
    .action(async (uids: string[], opts: SourceOpts) => {
      const { rxscale } = load({ rxscale: rxscaleSection() });
      const source = pickSource(rxscale.sources, opts.source);
      const existing = await list(source, pharmaciesOf(source, opts.pharmacy));
      const unknown = uids.filter((uid) => !existing.some((s) => s.uid === uid));
      // nothing is removed when one uid is wrong: a typo must not leave half a change
      if (unknown.length > 0)
        throw new CliError(
          `no subscription ${unknown.join(', ')} for source "${source.name}"`,
          ExitCode.failed,
          'see `rxbridge webhooks list`',
        );
      await remove(
        source,
        existing.filter((s) => uids.includes(s.uid)),
      );
      if (opts.json) return printJson({ removed: uids });
      for (const uid of uids) printLine(`removed ${uid}`);
    });

  webhooks
    .command('rotate')
    .description(
      'new signing secrets: registers new subscriptions at --url, prints the combined secrets (the current ' +
        'GATEWAY_WEBHOOK_SECRETS, when set, plus the new: the gateway accepts several per event type). Deploy ' +
        'them, and remove the old subscriptions once the new ones have delivered (`webhooks remove`, or rerun ' +
        'with --remove-old). RxScale holds one subscription per target and event type, so --url must differ ' +
        'from the old target (a query such as ?r=2 will do: the gateway ignores it)',
    )
    .option(...sourceOption)
    .requiredOption('--url <url>', "the gateway's public URL for the new subscriptions")
    .option('--events <types>', `comma-separated (default all: ${WEBHOOK_EVENT_TYPES.join(', ')})`)
    .option(...pharmacyOption)
    .option(
      '--remove-old',
      'also delete the old subscriptions now (only once the new ones are known to deliver)',
    )
    .option(
      '--secret-manifest <file>',
      `write a Secret "${SECRET_MANIFEST_NAME}" to this file (mode 0600) instead of printing the secrets`,
    )
    .option('--namespace <ns>', "the Secret manifest's namespace")
    .option('--json', 'print the new subscriptions, the old ones and the combined secrets as JSON')
    .action(
      async (
        opts: SourceOpts & {
          url: string;
          events?: string;
          removeOld?: boolean;
          secretManifest?: string;
          namespace?: string;
        },
      ) => {
        const url = parseUrl(opts.url);
        const events = parseEvents(opts.events);
        if (opts.namespace && !opts.secretManifest)
          throw usageError('--namespace goes with --secret-manifest');
        const { rxscale } = load({ rxscale: rxscaleSection() });
        const current = currentGatewaySecrets();
        const source = pickSource(rxscale.sources, opts.source);
        const pharmacies = pharmaciesOf(source, opts.pharmacy);
        const old = (await list(source, pharmacies)).filter((s) => events.includes(s.notification_type));
        const clash = old.filter((s) => s.target === url);
        if (clash.length > 0)
          throw usageError(
            `--url is the target of the current subscription(s) ${clash.map((s) => s.uid).join(', ')}`,
            'rotate to a URL that differs, e.g. add ?r=2 (the gateway ignores the query)',
          );
        const { registered, secrets, failure } = await register(source, pharmacies, url, events);
        // Both sets stay valid until the old subscriptions are removed; then the rotated types hold the new only.
        const combine = (withOld: boolean): GatewaySecrets => {
          const merged: Record<string, string[]> = { ...(current?.[source.name] ?? {}) };
          for (const [type, fresh] of Object.entries(secrets))
            merged[type] = [...(withOld ? (merged[type] ?? []) : []), ...fresh];
          return { ...(current ?? {}), [source.name]: merged };
        };
        if (current === undefined)
          process.stderr.write(
            'rxbridge: GATEWAY_WEBHOOK_SECRETS is not set here, so the output holds only the new secrets: add them to the ' +
              "gateway's current ones (keep both until the old subscriptions are removed)\n",
          );
        const oldUids = old.map((s) => s.uid).join(', ') || '(none)';
        if (failure) {
          // some new ones registered: their secrets join the old (nothing is removed), then the failure
          await emitSecrets(combine(true), registered, opts, {
            old: old.map((s) => s.uid),
            oldRemoved: false,
            incomplete: true,
          });
          throw partial(failure, registered.length);
        }
        if (opts.removeOld) {
          try {
            await remove(source, old);
          } catch (error) {
            // the new secrets must not be lost: print them, with the old kept (they still deliver)
            await emitSecrets(combine(true), registered, opts, {
              old: old.map((s) => s.uid),
              oldRemoved: false,
            });
            throw error;
          }
        }
        await emitSecrets(combine(!opts.removeOld), registered, opts, {
          old: old.map((s) => s.uid),
          oldRemoved: opts.removeOld === true,
        });
        if (!opts.json)
          printLine(
            opts.removeOld
              ? `# removed the old subscription(s) ${oldUids}`
              : `# old subscription(s) ${oldUids}: remove them with \`rxbridge webhooks remove\` once the new ones have delivered`,
          );
      },
    );
}
