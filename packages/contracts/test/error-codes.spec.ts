import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, isErrorCode, isPermanentErrorCode } from '../src/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * RxScale's client, contract and fake speak RxScale's codes, not ours; everything else that RxBridge runs
 * throws codes of the table. The error classes' code parameters are typed to `ErrorCode`, so tsc refuses an
 * unknown code; this scan also catches a class that takes a plain `string` (a new one, or a loosened type).
 */
const NOT_OURS = new Set(['packages/rxscale-client', 'packages/rxscale-contract', 'apps/rxscale-sandbox']);

/** A string that looks like an error code: snake case (lower or upper) or one upper-case word. */
const CODE_SHAPE = /^(?:[a-z][a-z0-9]*(?:_[a-z0-9]+)+|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)$/;

function sourceFiles(): string[] {
  const files: string[] = [];
  for (const group of ['apps', 'packages']) {
    for (const pkg of readdirSync(join(ROOT, group))) {
      if (NOT_OURS.has(`${group}/${pkg}`)) continue;
      walk(join(ROOT, group, pkg, 'src'), files);
    }
  }
  return files;
}

function walk(dir: string, into: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, into);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) into.push(path);
  }
}

/** The argument text of the call whose `(` is at `open`: up to its matching `)`, strings skipped. */
function argumentsAt(text: string, open: number): string {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  return text.slice(open + 1);
}

/** Every code-shaped literal passed to an `…Error(` constructor or assigned as an error's `code`. */
function thrownCodes(text: string): string[] {
  const codes: string[] = [];
  for (const call of text.matchAll(/new\s+(\w*Error)\s*\(/g)) {
    if (call[1] === 'Error' || call[1]!.startsWith('RxScale')) continue;
    const args = argumentsAt(text, call.index + call[0].length - 1);
    for (const literal of args.matchAll(/'([^'\\\n]*)'|"([^"\\\n]*)"/g)) {
      const value = literal[1] ?? literal[2]!;
      // A property's value is no code unless the property is one (`{ field, issue: 'invalid_cursor' }`).
      const key = /(\w+)\s*:\s*$/.exec(args.slice(0, literal.index))?.[1];
      if (CODE_SHAPE.test(value) && (key === undefined || key === 'code')) codes.push(value);
    }
  }
  for (const field of text.matchAll(/readonly code = '([^']*)'/g)) codes.push(field[1]!);
  return codes;
}

describe('the table of error codes', () => {
  it('spells every code in lower snake case, with a doc', () => {
    for (const [code, entry] of Object.entries(ErrorCodes)) {
      expect(code).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
      expect(entry.doc.length).toBeGreaterThan(10);
    }
  });

  it('says for a code whether it is permanent, and knows nothing of other codes', () => {
    expect(isPermanentErrorCode('invalid_webhook')).toBe(true);
    expect(isPermanentErrorCode('order_service_timeout')).toBe(false);
    expect(isErrorCode('WEBHOOK_INVALID')).toBe(false);
    expect(isPermanentErrorCode('COMMAND_INVALID')).toBeUndefined();
  });

  describe('the scan of the sources', () => {
    it('finds the codes of error constructors and code fields, not their messages', () => {
      const text = [
        "throw new PermanentError('the order names no pharmacy', 'ORDER_INVALID');",
        'throw new StockError(',
        "  'stock_level_invalid',",
        '  `line ${n} (${detail})`,',
        ');',
        "throw new ApiError(409, 'idempotency_key_in_use', 'busy', undefined, { 'retry-after': '1' });",
        "throw new ApiError(400, 'invalid_request', 'bad', [{ field: 'cursor', issue: 'invalid_cursor' }]);",
        "throw new Error('NOT_ENOUGH_REPLICAS');",
        "throw new RxScaleConfigError('page_invalid', 'page must be >= 0');",
        "class X extends Error { readonly code = 'producer_closed'; }",
      ].join('\n');
      expect(thrownCodes(text)).toEqual([
        'ORDER_INVALID',
        'stock_level_invalid',
        'idempotency_key_in_use',
        'invalid_request',
        'producer_closed',
      ]);
    });

    it('finds no code thrown in RxBridge that the table lacks', () => {
      const files = sourceFiles();
      expect(files.length).toBeGreaterThan(100);
      const strays: string[] = [];
      let seen = 0;
      for (const file of files) {
        for (const code of thrownCodes(readFileSync(file, 'utf8'))) {
          seen++;
          if (!isErrorCode(code)) strays.push(`${relative(ROOT, file)}: ${code}`);
        }
      }
      expect(seen).toBeGreaterThan(50);
      expect(strays).toEqual([]);
    });
  });
});
