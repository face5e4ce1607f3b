import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { digestingStream, STREAMED_BODY_DIGEST, streamedBodyOf } from './streamed-body.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

describe(digestingStream.name, () => {
  it('passes the bytes through unchanged and digests what the reader read', async () => {
    const body = digestingStream(chunks('article_id,on_hand\n', 'A-1,5\n'));
    let read = '';
    for await (const chunk of body.stream) read += String(chunk);
    expect(read).toBe('article_id,on_hand\nA-1,5\n');
    await expect(body.digest()).resolves.toBe(sha256(read));
  });

  it('reads the body through the hash when nobody read it (a replay)', async () => {
    await expect(digestingStream(chunks('a,1\n', 'b,2\n')).digest()).resolves.toBe(sha256('a,1\nb,2\n'));
  });

  it('has no digest when the reader stopped early or the body passed maxBytes', async () => {
    // a body still arriving (not ended) when the reader gives up, as a refused upload
    const arriving = new Readable({ read: () => undefined });
    arriving.push('a,1\n');
    const stopped = digestingStream(arriving);
    for await (const chunk of stopped.stream) if (chunk) break;
    await expect(stopped.digest()).resolves.toBeUndefined();

    const tooLarge = digestingStream(chunks('12345', '67890'), {
      maxBytes: 8,
      tooLarge: () => new Error('UPLOAD_TOO_LARGE'),
    });
    await expect(tooLarge.digest()).resolves.toBeUndefined();
    expect(tooLarge.stream.errored?.message).toBe('UPLOAD_TOO_LARGE');
  });

  it('is found on a body by its symbol, never by an enumerable field', () => {
    const body = { format: 'csv', [STREAMED_BODY_DIGEST]: () => Promise.resolve('x') };
    expect(streamedBodyOf(body)).toBe(body);
    expect(Object.keys(body)).toEqual(['format']);
    expect(streamedBodyOf({ format: 'csv' })).toBeUndefined();
    expect(streamedBodyOf(null)).toBeUndefined();
  });
});
