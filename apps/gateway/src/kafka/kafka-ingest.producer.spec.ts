import { laneOf } from './kafka-ingest.producer.js';

describe('lanes by key', () => {
  const keys = Array.from({ length: 400 }, (_, i) => `po-${i}`);

  it('puts one key always on the same lane, so one order keeps its order', () => {
    for (const key of keys) expect(laneOf(key, 4)).toBe(laneOf(key, 4));
  });

  it('spreads keys over every lane, each lane within range', () => {
    const used = new Map<number, number>();
    for (const key of keys) used.set(laneOf(key, 4), (used.get(laneOf(key, 4)) ?? 0) + 1);
    expect([...used.keys()].sort()).toEqual([0, 1, 2, 3]);
    // No lane takes more than half: a skewed hash would serialise most requests behind one producer.
    for (const n of used.values()) expect(n).toBeLessThan(keys.length / 2);
  });

  it('uses lane 0 when there is one lane, and the empty key has a lane too', () => {
    expect(keys.map((k) => laneOf(k, 1)).every((l) => l === 0)).toBe(true);
    expect(laneOf('', 3)).toBeGreaterThanOrEqual(0);
    expect(laneOf('', 3)).toBeLessThan(3);
  });
});
