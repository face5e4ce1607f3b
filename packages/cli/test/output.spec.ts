import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { Progress, withActivity } from '../src/output.js';

/** A stream that keeps what was written, a terminal or not. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = new Writable({
    write(chunk: Buffer, _enc, done) {
      s.text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: string };
  s.text = '';
  (s as { isTTY: boolean }).isTTY = isTTY;
  return s;
}

describe('progress', () => {
  it('draws a bar on a terminal and clears it when done', () => {
    const tty = stream(true);
    const p = new Progress('replaying', 4, tty);
    p.tick();
    p.tick();
    expect(tty.text).toContain('[============            ] 2/4 replaying');
    p.done();
    expect(tty.text.endsWith('\r\u001b[2K')).toBe(true);
  });

  it('writes nothing when stderr is a pipe or a file', async () => {
    const pipe = stream(false);
    const p = new Progress('replaying', 4, pipe);
    p.tick();
    p.done();
    expect(await withActivity('syncing', () => Promise.resolve(7), pipe)).toBe(7);
    expect(pipe.text).toBe('');
  });
});
