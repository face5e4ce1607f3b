import { childTraceparent } from './traceparent.js';

describe(childTraceparent.name, () => {
  it('continues a valid incoming trace with a new span id and the same flags', () => {
    const tp = childTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
    expect(tp).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
    expect(tp).not.toContain('00f067aa0ba902b7');
  });

  it.each([undefined, '', 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'])(
    'starts a new sampled trace for %p',
    (incoming) => {
      const tp = childTraceparent(incoming);
      expect(tp).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(tp).not.toContain('4bf92f3577b34da6a3ce929d0e0e4736');
    },
  );

  it('never repeats ids across the pool refills', () => {
    const ids = new Set(Array.from({ length: 2000 }, () => childTraceparent(undefined)));
    expect(ids.size).toBe(2000);
  });
});
