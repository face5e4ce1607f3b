import { type Readable } from 'node:stream';
import { type FastifyInstance, type FastifyRequest } from 'fastify';

const STREAM = Symbol('csv-upload.stream');

/** The upload route, the only one that takes text/csv. */
export const STOCK_UPLOAD_ROUTE = '/pharmacies/:pharmacy_uid/stock';

/**
 * A `text/csv` request body, not read yet: the handler streams it through parseStockCsv. Its enumerable
 * fields are what the edge's idempotency hash sees (it hashes the parsed body, and a stream cannot be
 * hashed before it is read): the format and the declared length; the stream itself sits under a symbol.
 */
export class CsvUploadBody {
  readonly format = 'csv';
  readonly content_length: string | null;
  private readonly [STREAM]: Readable;

  constructor(stream: Readable, contentLength: string | undefined) {
    this[STREAM] = stream;
    this.content_length = contentLength ?? null;
  }

  get stream(): Readable {
    return this[STREAM];
  }
}

/**
 * Registers the `text/csv` parser: it hands the raw request stream on without reading it (so the
 * upload is never held whole; INVENTORY_UPLOAD_MAX_BYTES is counted while parseStockCsv reads it). Any
 * other route refuses text/csv with 415, as the edge refuses every non-JSON body.
 */
export function installCsvUploadParser(fastify: FastifyInstance): void {
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
      done(null, new CsvUploadBody(payload, typeof length === 'string' ? length : undefined));
    },
  );
}
