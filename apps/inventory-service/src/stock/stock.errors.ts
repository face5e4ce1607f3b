import { PermanentError } from '@rxbridge/service-kit';

/**
 * Why a whole stock upload is refused (nothing of it is applied). The edge maps these to HTTP: 413 for
 * UPLOAD_TOO_LARGE and TOO_MANY_LINES, 400 for the rest.
 */
export const StockUploadErrorCodes = {
  UPLOAD_TOO_LARGE: 'the upload is larger than the limit',
  TOO_MANY_LINES: 'the upload has more lines than the limit',
  CSV_MALFORMED: 'the CSV cannot be read (quoting, line breaks or encoding)',
  CSV_HEADER_INVALID: 'the CSV header must name article_id and on_hand, optionally pzn, once each',
  JSON_INVALID: 'the JSON body must be {"lines": [{"article_id", "on_hand", "pzn"?}, ...]}',
} as const;
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
  FIELD_COUNT: 'the line has a different number of fields than the header',
  ARTICLE_ID_MISSING: 'article_id is missing',
  ARTICLE_ID_INVALID: 'article_id must be 1 to 200 printable characters',
  ON_HAND_MISSING: 'on_hand is missing',
  ON_HAND_NOT_INTEGER: 'on_hand must be a whole number',
  ON_HAND_NEGATIVE: 'on_hand must not be negative',
  ON_HAND_TOO_LARGE: 'on_hand is larger than 100000000',
  PZN_INVALID: 'pzn must be 1 to 20 digits',
  PZN_CONFLICT: 'pzn differs from the PZN known for this article',
  LINE_INVALID: 'the line must be an object with article_id and on_hand',
} as const;
export type StockLineRejectionCode = keyof typeof StockLineRejectionCodes;

/** Errors of the stock level use cases (not of an upload's shape). */
export const StockErrorCodes = {
  STOCK_LEVEL_INVALID: 'the stock level is invalid',
  ARTICLE_NOT_FOUND: 'the pharmacy has no stock level for this article',
} as const;
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
