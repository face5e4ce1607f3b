import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';

/** Where the idempotency interceptor finds a streamed body's digest (a symbol: the request hash never sees it). */
export const STREAMED_BODY_DIGEST = Symbol.for('rxbridge.http.streamed-body-digest');

/**
 * A request body the handler reads as a stream (a CSV upload), so the edge's request hash, taken before the
 * handler runs, cannot cover its content. Its enumerable fields go into the request hash; its digest is
 * stored with the answer and compared on a replay (docs/design.md "Idempotency of a streamed body").
 */
export interface StreamedRequestBody {
  /**
   * sha256 (hex) of the whole body, reading through to its end what nobody read yet; undefined when it
   * cannot be read to its end (the handler stopped reading and the stream was destroyed, the client went
   * away, it passed `maxBytes`).
   */
  [STREAMED_BODY_DIGEST](): Promise<string | undefined>;
}

export function streamedBodyOf(body: unknown): StreamedRequestBody | undefined {
  return typeof body === 'object' &&
    body !== null &&
    typeof (body as Partial<StreamedRequestBody>)[STREAMED_BODY_DIGEST] === 'function'
    ? (body as StreamedRequestBody)
    : undefined;
}

export interface DigestingStream {
  /** What the handler reads: the source's bytes, unchanged, hashed as they pass. */
  stream: Readable;
  digest(): Promise<string | undefined>;
}

/**
 * Hashes a request stream as the handler reads it, holding nothing but the hash state (and the stream's own
 * buffer). Past `maxBytes` the stream fails with `tooLarge()`; `digest()` then answers undefined.
 */
export function digestingStream(
  source: Readable,
  options: { maxBytes?: number; tooLarge?: () => Error } = {},
): DigestingStream {
  const hash = createHash('sha256');
  let bytes = 0;
  let digest: string | undefined;
  const through = new Transform({
    transform(chunk: Buffer | string, _encoding, callback) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buffer.length;
      if (options.maxBytes !== undefined && bytes > options.maxBytes) {
        callback(options.tooLarge?.() ?? new RangeError(`body larger than ${options.maxBytes} bytes`));
        return;
      }
      hash.update(buffer);
      callback(null, buffer);
    },
    flush(callback) {
      digest = hash.digest('hex');
      callback();
    },
  });
  // an error of either side destroys both; the reader sees it, the pipeline's own callback only absorbs it
  pipeline(source, through, () => undefined);
  // 'finish' after flush: every byte was hashed (the reader may not have taken the last buffered ones yet)
  const settled = new Promise<string | undefined>((resolve) => {
    through.once('finish', () => resolve(digest));
    through.once('close', () => resolve(digest));
  });
  return {
    stream: through,
    digest() {
      // what the handler left unread (or all of it, when no handler ran: a replay) goes through the hash
      if (!through.destroyed && !through.writableFinished) through.resume();
      return settled;
    },
  };
}
