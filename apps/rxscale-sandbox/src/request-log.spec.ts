import { RequestLog, type RequestLogEntry } from './request-log.js';

const entry = (n: number): RequestLogEntry => ({
  at: new Date(0).toISOString(),
  method: 'GET',
  path: `/p/${n}`,
  query: {},
  endpoint: null,
  basePath: null,
  keyId: null,
  pharmacyUid: null,
  status: 200,
  durationMs: 0,
});

describe(RequestLog.name, () => {
  it('keeps at most 100 000 entries, dropping the oldest and counting them', () => {
    const log = new RequestLog();
    for (let i = 0; i < 100_001; i++) log.add(entry(i));
    const { total, dropped, entries } = log.list(1);
    expect(total + dropped).toBe(100_001);
    expect(total).toBeLessThanOrEqual(100_000);
    expect(entries[0]?.path).toBe('/p/100000');
  });
});
