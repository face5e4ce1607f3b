import { partitionLag } from './consumer-lag.js';

describe(partitionLag.name, () => {
  it('counts from the committed offset', () => {
    expect(partitionLag({ low: '0', high: '10' }, '7')).toBe(3);
  });

  it('counts from the low watermark when the group committed nothing (-1) or the offset is unknown', () => {
    expect(partitionLag({ low: '4', high: '10' }, '-1')).toBe(6);
    expect(partitionLag({ low: '4', high: '10' }, undefined)).toBe(6);
  });

  it('never reports a negative lag (a commit past a truncated log)', () => {
    expect(partitionLag({ low: '0', high: '5' }, '9')).toBe(0);
  });
});
