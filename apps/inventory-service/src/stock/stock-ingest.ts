import { Readable, pipeline } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { StockLineRejectionCodes, StockUploadError, type StockLineRejectionCode } from './stock.errors.js';

/** One valid stock line: the PMS says this many units of this article are on the shelf. */
export interface StockLevelLine {
  /** CSV: the physical line in the file (the header is line 1). JSON: the 1-based position in `lines`. */
  line: number;
  articleId: string;
  pzn: string | null;
  onHand: number;
}

export interface RejectedStockLine {
  line: number;
  reason: StockLineRejectionCode;
  message: string;
}

export type StockIngestItem =
  { ok: true; value: StockLevelLine } | { ok: false; rejected: RejectedStockLine };

export interface StockIngestLimits {
  /** Bytes of the raw upload; beyond it the upload is refused. */
  maxBytes: number;
  /** Data lines (good or bad) per upload. */
  maxLines: number;
}

export const DEFAULT_STOCK_INGEST_LIMITS: StockIngestLimits = {
  maxBytes: 16 * 1024 * 1024,
  maxLines: 200_000,
};

export const MAX_ON_HAND = 100_000_000;
const ARTICLE_ID = /^[\x21-\x7e\u00a0-\uffff][\x20-\x7e\u00a0-\uffff]{0,199}$/u;
const PZN = /^[0-9]{1,20}$/;
const DIGITS = /^[0-9]+$/;
const SIGNED_INTEGER = /^[+-]?[0-9]+$/;

function rejected(line: number, reason: StockLineRejectionCode): StockIngestItem {
  return { ok: false, rejected: { line, reason, message: StockLineRejectionCodes[reason] } };
}

function validArticleId(value: string): boolean {
  return value.length <= 200 && ARTICLE_ID.test(value) && value.trim() === value;
}

/** Checks one CSV record's text fields. Values are never copied into the reason. */
function csvLine(line: number, articleId: string, onHand: string, pzn: string): StockIngestItem {
  if (articleId === '') return rejected(line, 'article_id_missing');
  if (!validArticleId(articleId)) return rejected(line, 'article_id_invalid');
  if (onHand === '') return rejected(line, 'on_hand_missing');
  if (!SIGNED_INTEGER.test(onHand)) return rejected(line, 'on_hand_not_integer');
  if (onHand.startsWith('-'))
    return rejected(
      line,
      DIGITS.test(onHand.slice(1)) && /[1-9]/.test(onHand) ? 'on_hand_negative' : 'on_hand_not_integer',
    );
  const n = Number(onHand);
  if (n > MAX_ON_HAND) return rejected(line, 'on_hand_too_large');
  if (pzn !== '' && !PZN.test(pzn)) return rejected(line, 'pzn_invalid');
  return { ok: true, value: { line, articleId, pzn: pzn === '' ? null : pzn, onHand: n } };
}

/** Checks one element of a JSON upload. */
function jsonLine(line: number, raw: unknown): StockIngestItem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return rejected(line, 'line_invalid');
  const { article_id: articleId, on_hand: onHand, pzn } = raw as Record<string, unknown>;
  if (articleId === undefined || articleId === null || articleId === '')
    return rejected(line, 'article_id_missing');
  if (typeof articleId !== 'string' || !validArticleId(articleId))
    return rejected(line, 'article_id_invalid');
  if (onHand === undefined || onHand === null) return rejected(line, 'on_hand_missing');
  if (typeof onHand !== 'number' || !Number.isInteger(onHand)) return rejected(line, 'on_hand_not_integer');
  if (onHand < 0) return rejected(line, 'on_hand_negative');
  if (onHand > MAX_ON_HAND) return rejected(line, 'on_hand_too_large');
  if (pzn !== undefined && pzn !== null && (typeof pzn !== 'string' || !PZN.test(pzn)))
    return rejected(line, 'pzn_invalid');
  return { ok: true, value: { line, articleId, pzn: typeof pzn === 'string' ? pzn : null, onHand } };
}

/**
 * The lines of a JSON upload `{"lines": [...]}` (the edge has parsed the body within its own byte limit).
 * A body of another shape, or with more lines than allowed, is refused as a whole.
 */
export function* parseStockJson(
  body: unknown,
  limits: Pick<StockIngestLimits, 'maxLines'> = DEFAULT_STOCK_INGEST_LIMITS,
): Generator<StockIngestItem, void, undefined> {
  const lines = typeof body === 'object' && body !== null ? (body as { lines?: unknown }).lines : undefined;
  if (!Array.isArray(lines)) throw new StockUploadError('upload_json_invalid');
  if (lines.length > limits.maxLines)
    throw new StockUploadError('too_many_lines', `at most ${limits.maxLines}`);
  for (let i = 0; i < lines.length; i++) yield jsonLine(i + 1, lines[i]);
}

/** A Node stream (an HTTP request body), or any iterable of chunks. */
export type UploadSource = AsyncIterable<Buffer | string> | Iterable<Buffer | string>;

async function* limitBytes(source: UploadSource, maxBytes: number): AsyncGenerator<Buffer, void, undefined> {
  let total = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.length;
    if (total > maxBytes) throw new StockUploadError('upload_too_large', `at most ${maxBytes} bytes`);
    yield bytes;
  }
}

const COLUMNS = ['article_id', 'on_hand', 'pzn'] as const;
type Column = (typeof COLUMNS)[number];

function columnPositions(header: string[]): Record<Column, number> {
  const positions: Partial<Record<Column, number>> = {};
  header.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    if (!(COLUMNS as readonly string[]).includes(name))
      throw new StockUploadError('csv_header_invalid', `unknown column at position ${i + 1}`);
    if (positions[name as Column] !== undefined)
      throw new StockUploadError('csv_header_invalid', `column at position ${i + 1} repeats another`);
    positions[name as Column] = i;
  });
  if (positions.article_id === undefined || positions.on_hand === undefined)
    throw new StockUploadError('csv_header_invalid', 'article_id or on_hand is missing');
  return { article_id: positions.article_id, on_hand: positions.on_hand, pzn: positions.pzn ?? -1 };
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Reads a CSV upload (`article_id,on_hand[,pzn]`, comma separated, header first) as it streams in: one
 * record in memory at a time. Bad lines come out as rejections with their line number; a file that is
 * not CSV (bad quoting), has a wrong header, or is too large throws StockUploadError, and the caller
 * must then apply nothing (StockLevelService.setMany runs the whole upload in one transaction).
 */
export async function* parseStockCsv(
  source: UploadSource,
  limits: StockIngestLimits = DEFAULT_STOCK_INGEST_LIMITS,
): AsyncGenerator<StockIngestItem, void, undefined> {
  const parser = parse({
    bom: true,
    trim: true,
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
    max_record_size: 64 * 1024,
  });
  // pipeline destroys the parser with the source's error (e.g. upload_too_large), which the loop rethrows
  pipeline(Readable.from(limitBytes(source, limits.maxBytes)), parser, () => undefined);
  let columns: Record<Column, number> | undefined;
  let width = 0;
  let count = 0;
  try {
    for await (const item of parser as AsyncIterable<CsvRecord>) {
      const { record, info } = item;
      if (!columns) {
        columns = columnPositions(record);
        width = record.length;
        continue;
      }
      if (++count > limits.maxLines)
        throw new StockUploadError('too_many_lines', `at most ${limits.maxLines}`);
      if (record.length !== width) {
        yield rejected(info.lines, 'field_count');
        continue;
      }
      yield csvLine(
        info.lines,
        record[columns.article_id] ?? '',
        record[columns.on_hand] ?? '',
        columns.pzn >= 0 ? (record[columns.pzn] ?? '') : '',
      );
    }
  } catch (error) {
    if (error instanceof StockUploadError) throw error;
    if (error instanceof CsvError) {
      // csv-parse's own message quotes the field: only its code and line go out
      const line = (error as CsvError & { lines?: number }).lines;
      throw new StockUploadError('csv_malformed', `${error.code}${line ? ` near line ${line}` : ''}`);
    }
    throw error;
  } finally {
    parser.destroy();
  }
  if (!columns) throw new StockUploadError('csv_header_invalid', 'the upload is empty');
}
