import { ApiScope, mintApiToken } from '@rxbridge/service-kit/tokens';
import { type Command } from 'commander';
import { usageError } from '../cli-error.js';
import { printJson, printLine } from '../output.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function tokensCommand(program: Command): void {
  const tokens = program
    .command('tokens')
    .description('REST API bearer tokens of the services (HTTP_API_TOKENS)');
  tokens
    .command('create')
    .description(
      'mint a token and its HTTP_API_TOKENS entry; the token is shown only now, the services keep only its hash',
    )
    .requiredOption(
      '--name <name>',
      'who uses the token (1-63 of a-z 0-9 . _ -), in logs and idempotency keys',
    )
    .requiredOption('--scopes <scopes>', `comma-separated, of: ${ApiScope.options.join(', ')}`)
    .option('--json', 'print {token, entry} as JSON')
    .action((opts: { name: string; scopes: string; json?: boolean }) => {
      if (!NAME.test(opts.name))
        throw usageError('--name must be 1-63 lowercase letters, digits, ".", "_" or "-"');
      const requested = [
        ...new Set(
          opts.scopes
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ),
      ];
      if (requested.length === 0) throw usageError('--scopes must list at least one scope');
      const unknown = requested.filter((s) => !ApiScope.safeParse(s).success);
      if (unknown.length > 0)
        throw usageError(
          `unknown scope(s): ${unknown.join(', ')}`,
          `use some of: ${ApiScope.options.join(', ')}`,
        );
      const { token, entry } = mintApiToken(opts.name, requested as ApiScope[]);
      if (opts.json) return printJson({ token, entry });
      printLine(`token: ${token}`);
      printLine(`entry: ${JSON.stringify(entry)}`);
      printLine(
        '# The token is shown only now: hand it to the caller. Add the entry to the HTTP_API_TOKENS JSON array (a Secret).',
      );
    });
  tokens
    .command('scopes')
    .description('list the scopes a token may have')
    .option('--json', 'print a JSON array')
    .action((opts: { json?: boolean }) => {
      if (opts.json) return printJson(ApiScope.options);
      for (const scope of ApiScope.options) printLine(scope);
    });
}
