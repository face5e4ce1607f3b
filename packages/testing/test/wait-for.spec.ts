import { isProcessAlive, waitFor } from '../src/index.js';

describe(waitFor.name, () => {
  it('resolves with the first truthy value the check returns', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), 'the third call', {
      intervalMs: 1,
    });
    expect(value).toEqual({ calls: 3 });
  });

  it('keeps polling while the check throws, and names what it waited for and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('relation "effect" does not exist');
        },
        'the effect row',
        { timeoutMs: 50, intervalMs: 5 },
      ),
    ).rejects.toThrow(
      /timed out after 50 ms waiting for the effect row; the last check threw: relation "effect" does not exist/,
    );
  });

  it('treats false, 0 and an empty string as not yet', async () => {
    const answers: unknown[] = [false, 0, '', null, 'ready'];
    expect(await waitFor(() => answers.shift(), 'a non-empty answer', { intervalMs: 1 })).toBe('ready');
  });

  it('names only what it waited for when the check kept answering no', async () => {
    await expect(waitFor(() => false, 'nothing', { timeoutMs: 20, intervalMs: 5 })).rejects.toThrow(
      /^timed out after 20 ms waiting for nothing$/,
    );
  });
});

describe(isProcessAlive.name, () => {
  it('tells a running process from a pid nobody has', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(2_147_483_646)).toBe(false);
  });
});
