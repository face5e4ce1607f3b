import { type Readable } from 'node:stream';
import {
  digestingStream,
  STREAMED_BODY_DIGEST,
  type DigestingStream,
  type StreamedRequestBody,
} from '@rxbridge/service-kit';
import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { StockUploadError } from '../stock/stock.errors.js';

const STREAM = Symbol('csv-upload.stream');

/** The upload route, the only one that takes text/csv. */
export const STOCK_UPLOAD_ROUTE = '/pharmacies/:pharmacy_uid/stock';

/**
 * A `text/csv` request body, not read yet: the handler streams it through parseStockCsv. Its enumerable
 * fields (the format and the declared length) are what the edge's request hash sees before the handler
 * runs; the content is hashed as the handler reads it (the kit's StreamedRequestBody), so the same
 * Idempotency-Key with another file of the same length gets 422, not the first file's answer.
 */
export class CsvUploadBody implements StreamedRequestBody {
  readonly format = 'csv';
  readonly content_length: string | null;
  private readonly [STREAM]: DigestingStream;

  constructor(stream: Readable, contentLength: string | undefined, maxBytes: number) {
    // the byte limit is counted here too, so a replay (which only hashes) stops reading at it as well
    this[STREAM] = digestingStream(stream, {
      maxBytes,
      tooLarge: () => new StockUploadError('upload_too_large', `at most ${maxBytes} bytes`),
    });
    this.content_length = contentLength ?? null;
  }

  get stream(): Readable {
    return this[STREAM].stream;
  }

  [STREAMED_BODY_DIGEST](): Promise<string | undefined> {
    return this[STREAM].digest();
  }
}

/**
 * Registers the `text/csv` parser: it hands the raw request stream on without reading it (so the
 * upload is never held whole; INVENTORY_UPLOAD_MAX_BYTES is counted while parseStockCsv reads it). Any
 * other route refuses text/csv with 415, as the edge refuses every non-JSON body.
 */
export function installCsvUploadParser(fastify: FastifyInstance, limits: { maxBytes: number }): void {
  fastify.addContentTypeParser(
    ['text/csv'],
    (request: FastifyRequest, payload: Readable, done: (err: Error | null, body?: unknown) => void) => {
      if (request.method !== 'POST' || request.routeOptions.url !== STOCK_UPLOAD_ROUTE) {
        done(
          Object.assign(new Error('unsupported media type'), {
            code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
            statusCode: 415,
          }),
        );
        return;
      }
      const length = request.headers['content-length'];
      done(
        null,
        new CsvUploadBody(payload, typeof length === 'string' ? length : undefined, limits.maxBytes),
      );
    },
  );
}
