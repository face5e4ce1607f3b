import { chmod, writeFile } from 'node:fs/promises';
import {
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
  type WebhookSubscription,
} from '@rxbridge/rxscale-client/contract';
import { type RxscaleSourceConfig } from '@rxbridge/service-kit/config';
import { type Command } from 'commander';
import { z } from 'zod';
import { CliError, ExitCode, usageError } from '../cli-error.js';
import { load, rxscaleSection } from '../config.js';
import { printJson, printLine, printTable } from '../output.js';
import { clientFor, pharmaciesOf, pickSource, rxscaleFailure } from '../rxscale.js';

/** The gateway's GATEWAY_WEBHOOK_SECRETS: `{ "<source>": { "<event type>": ["<secret>", ...] } }`. */
type GatewaySecrets = Record<string, Record<string, string[]>>;
const GatewaySecretsJson = z.record(z.string(), z.record(z.string(), z.array(z.string())));
export const SECRET_MANIFEST_NAME = 'rxbridge-webhook-secrets';

interface Registered {
  uid: string;
  target: string;
  notification_type: WebhookEventType;
  pharmacy_uid: string | null;
}

function parseEvents(text: string | undefined): WebhookEventType[] {
  if (text === undefined) return [...WEBHOOK_EVENT_TYPES];
  const events = [
    ...new Set(
      text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = events.filter((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
  if (events.length === 0 || unknown.length > 0)
    throw usageError(
      `--events: unknown event type(s) ${unknown.join(', ') || '(none given)'}`,
      `use some of: ${WEBHOOK_EVENT_TYPES.join(', ')}`,
    );
  return events as WebhookEventType[];
}

function parseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
    return url;
  } catch {
    throw usageError(
      `--url "${url}" is not an http(s) URL`,
      "give the gateway's public URL, e.g. https://rxbridge.example/webhooks/rxscale",
    );
  }
}

/** The current GATEWAY_WEBHOOK_SECRETS, when set (rotate merges into it). Never echoed when it is bad. */
function currentGatewaySecrets(): GatewaySecrets | undefined {
  const text = process.env.GATEWAY_WEBHOOK_SECRETS;
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError('GATEWAY_WEBHOOK_SECRETS: is not valid JSON', ExitCode.config, 'fix or unset it');
  }
  const result = GatewaySecretsJson.safeParse(parsed);
  if (!result.success)
    throw new CliError(
      'GATEWAY_WEBHOOK_SECRETS: is not { "<source>": { "<event type>": ["<secret>", ...] } }',
      ExitCode.config,
      'fix or unset it',
    );
  return result.data;
}

function manifest(secrets: GatewaySecrets, namespace: string | undefined): string {
  // A JSON string is a valid YAML double-quoted scalar: no escaping rules of our own.
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    `  name: ${SECRET_MANIFEST_NAME}`,
    ...(namespace ? [`  namespace: ${namespace}`] : []),
    'type: Opaque',
    'stringData:',
    `  GATEWAY_WEBHOOK_SECRETS: ${JSON.stringify(JSON.stringify(secrets))}`,
    '',
  ].join('\n');
}

async function emitSecrets(
  secrets: GatewaySecrets,
  registered: Registered[],
  opts: { json?: boolean; secretManifest?: string; namespace?: string },
  extra: Record<string, unknown> = {},
): Promise<void> {
  if (opts.secretManifest) {
    // created with 0600, and chmod in case the file existed with wider rights
    await writeFile(opts.secretManifest, manifest(secrets, opts.namespace), { mode: 0o600 });
    await chmod(opts.secretManifest, 0o600);
    if (opts.json)
      return printJson({ subscriptions: registered, secretManifest: opts.secretManifest, ...extra });
    printTable(
      ['uid', 'event type', 'pharmacy', 'target'],
      registered.map((r) => [r.uid, r.notification_type, r.pharmacy_uid ?? '-', r.target]),
    );
    printLine(
      `# Signing secrets written to ${opts.secretManifest} (Secret ${SECRET_MANIFEST_NAME}, mode 0600): kubectl apply -f it, then delete the file.`,
    );
    return;
  }
  if (opts.json) return printJson({ subscriptions: registered, gatewayWebhookSecrets: secrets, ...extra });
  printTable(
    ['uid', 'event type', 'pharmacy', 'target'],
    registered.map((r) => [r.uid, r.notification_type, r.pharmacy_uid ?? '-', r.target]),
  );
  printLine(`GATEWAY_WEBHOOK_SECRETS=${JSON.stringify(secrets)}`);
  printLine(
    "# The signing secrets are shown only now (RxScale never lists them): put this value in the gateway's Secret.",
  );
}

async function register(
  source: RxscaleSourceConfig,
  pharmacies: (string | undefined)[],
  url: string,
  events: WebhookEventType[],
): Promise<{ registered: Registered[]; secrets: Record<string, string[]>; failure?: CliError }> {
  const client = await clientFor(source);
  const registered: Registered[] = [];
  const secrets: Record<string, string[]> = {};
  try {
    for (const pharmacy of pharmacies)
      for (const type of events) {
        const sub = await client.registerWebhook(
          { target: url, notification_type: type },
          pharmacy === undefined ? {} : { pharmacyUid: pharmacy },
        );
        registered.push({
          uid: sub.uid,
          target: sub.target,
          notification_type: sub.notification_type,
          pharmacy_uid: pharmacy ?? null,
        });
        (secrets[type] ??= []).push(sub.signing_secret);
      }
  } catch (error) {
    const failure = await rxscaleFailure(source, error, 'webhooks_write');
    if (registered.length === 0) throw failure;
    // What did register must not be lost (RxScale never shows a secret again): the caller emits it the usual
    // way (stdout or the manifest, never stderr) and then fails.
    return { registered, secrets, failure };
  } finally {
    await client.close();
  }
  return { registered, secrets };
}

async function list(
  source: RxscaleSourceConfig,
  pharmacies: (string | undefined)[],
): Promise<(WebhookSubscription & { pharmacy_uid: string | null })[]> {
  const client = await clientFor(source);
  try {
    const out: (WebhookSubscription & { pharmacy_uid: string | null })[] = [];
    for (const pharmacy of pharmacies) {
      const subs = await client.listWebhooks(pharmacy === undefined ? {} : { pharmacyUid: pharmacy });
      out.push(
        ...subs.map((s) => ({
          uid: s.uid,
          target: s.target,
          notification_type: s.notification_type,
          pharmacy_uid: pharmacy ?? null,
        })),
      );
    }
    return out;
  } catch (error) {
    throw await rxscaleFailure(source, error, 'webhooks_read');
  } finally {
    await client.close();
  }
}

async function remove(
  source: RxscaleSourceConfig,
  subs: { uid: string; pharmacy_uid: string | null }[],
): Promise<void> {
  const client = await clientFor(source);
  try {
    for (const sub of subs)
      await client.deleteWebhook(sub.uid, sub.pharmacy_uid === null ? {} : { pharmacyUid: sub.pharmacy_uid });
  } catch (error) {
    throw await rxscaleFailure(source, error, 'webhooks_write');
  } finally {
    await client.close();
  }
}

function partial(failure: CliError, registered: number): CliError {
  return new CliError(
    `${failure.message}; ${registered} subscription(s) registered before it, their secrets printed above`,
    failure.exitCode,
    `${failure.fix ? `${failure.fix}; then ` : ''}rerun with --events for the missing event types, or remove the new ones`,
  );
}

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
