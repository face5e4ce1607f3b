import { type ErrorCode } from '@rxbridge/contracts';
import { PermanentError } from '@rxbridge/service-kit';

/**
 * Why a whole stock upload is refused (nothing of it is applied). The edge maps these to HTTP: 413 for
 * upload_too_large and too_many_lines, 400 for the rest.
 */
export const StockUploadErrorCodes = {
  upload_too_large: 'the upload is larger than the limit',
  too_many_lines: 'the upload has more lines than the limit',
  csv_malformed: 'the CSV cannot be read (quoting, line breaks or encoding)',
  csv_header_invalid: 'the CSV header must name article_id and on_hand, optionally pzn, once each',
  upload_json_invalid: 'the JSON body must be {"lines": [{"article_id", "on_hand", "pzn"?}, ...]}',
} as const satisfies Partial<Record<ErrorCode, string>>;
export type StockUploadErrorCode = keyof typeof StockUploadErrorCodes;

/** The whole upload is refused. The message names a line number or a position, never a submitted value. */
export class StockUploadError extends PermanentError {
  constructor(
    override readonly code: StockUploadErrorCode,
    detail?: string,
  ) {
    super(detail ? `${StockUploadErrorCodes[code]}: ${detail}` : StockUploadErrorCodes[code], code);
    this.name = 'StockUploadError';
  }
}

/** Why one line of an upload was skipped while the others were applied. */
export const StockLineRejectionCodes = {
  field_count: 'the line has a different number of fields than the header',
  article_id_missing: 'article_id is missing',
  article_id_invalid: 'article_id must be 1 to 200 printable characters',
  on_hand_missing: 'on_hand is missing',
  on_hand_not_integer: 'on_hand must be a whole number',
  on_hand_negative: 'on_hand must not be negative',
  on_hand_too_large: 'on_hand is larger than 100000000',
  pzn_invalid: 'pzn must be 1 to 20 digits',
  pzn_conflict: 'pzn differs from the PZN known for this article',
  line_invalid: 'the line must be an object with article_id and on_hand',
} as const;
export type StockLineRejectionCode = keyof typeof StockLineRejectionCodes;

/** Errors of the stock level use cases (not of an upload's shape). */
export const StockErrorCodes = {
  stock_level_invalid: 'the stock level is invalid',
  article_not_found: 'the pharmacy has no stock level for this article',
} as const satisfies Partial<Record<ErrorCode, string>>;
export type StockErrorCode = keyof typeof StockErrorCodes;

export class StockError extends PermanentError {
  constructor(
    override readonly code: StockErrorCode,
    detail?: string,
  ) {
    super(detail ? `${StockErrorCodes[code]}: ${detail}` : StockErrorCodes[code], code);
    this.name = 'StockError';
  }
}
