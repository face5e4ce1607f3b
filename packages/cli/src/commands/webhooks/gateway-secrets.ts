// The gateway's side of a registration: the signing secrets in the form GATEWAY_WEBHOOK_SECRETS takes, printed
// once or written as a Kubernetes Secret manifest, and the current value that `rotate` merges into.
import { chmod, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { CliError, ExitCode } from '../../cli-error.js';
import { printJson, printLine, printTable } from '../../output.js';
import { type Registered } from './subscriptions.js';

/** The gateway's GATEWAY_WEBHOOK_SECRETS: `{ "<source>": { "<event type>": ["<secret>", ...] } }`. */
export type GatewaySecrets = Record<string, Record<string, string[]>>;
const GatewaySecretsJson = z.record(z.string(), z.record(z.string(), z.array(z.string())));
export const SECRET_MANIFEST_NAME = 'rxbridge-webhook-secrets';

/** The current GATEWAY_WEBHOOK_SECRETS, when set (rotate merges into it). Never echoed when it is bad. */
export function currentGatewaySecrets(): GatewaySecrets | undefined {
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

export async function emitSecrets(
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
