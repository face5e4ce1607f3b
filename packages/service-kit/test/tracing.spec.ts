import {
  childSpan,
  currentTrace,
  formatTraceparent,
  newTrace,
  outgoingTraceHeaders,
  parseTraceparent,
  runWithTrace,
  traceFromHeaders,
} from '../src/index.js';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C traceparent', () => {
  it('parses and formats a valid header unchanged', () => {
    const parsed = parseTraceparent(VALID);
    expect(parsed).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: 1,
    });
    expect(formatTraceparent(parsed!)).toBe(VALID);
    expect(parseTraceparent(Buffer.from(VALID))).toEqual(parsed);
  });

  it.each([
    ['empty', ''],
    ['uppercase hex', VALID.toUpperCase()],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with extra fields', `${VALID}-extra`],
    ['non-hex flags', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g'],
    ['missing dashes', VALID.replaceAll('-', '')],
  ])('rejects %s', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('accepts a future version and ignores the fields it appends', () => {
    expect(parseTraceparent(`01-${VALID.slice(3)}-what-comes-next`)?.traceId).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
  });

  it('refuses to format malformed ids', () => {
    expect(() => formatTraceparent({ traceId: 'abc', parentId: '00f067aa0ba902b7', flags: 1 })).toThrow(
      'invalid trace id',
    );
    expect(() =>
      formatTraceparent({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentId: '0'.repeat(16), flags: 1 }),
    ).toThrow('invalid parent id');
    expect(() => formatTraceparent({ ...newTrace(), flags: 256 })).toThrow('invalid trace flags');
  });

  it('makes child spans in the same trace with a new span id and the same flags', () => {
    const parent = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')!;
    const child = childSpan(parent);
    expect(child.traceId).toBe(parent.traceId);
    expect(child.flags).toBe(0);
    expect(child.parentId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.parentId).not.toBe(parent.parentId);
    expect(parseTraceparent(formatTraceparent(newTrace()))?.flags).toBe(1);
  });
});

describe('trace scope', () => {
  it('carries trace and correlation id from an incoming record to what it causes, across awaits', async () => {
    const scope = traceFromHeaders({
      traceparent: Buffer.from(VALID),
      correlationid: Buffer.from('corr-42'),
    });
    expect(scope.trace.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(scope.trace.parentId).not.toBe('00f067aa0ba902b7');
    expect(scope.correlationId).toBe('corr-42');

    const seen = await runWithTrace(scope, async () => {
      await new Promise((r) => setTimeout(r, 5));
      return Promise.all(
        [1, 2].map(async () => {
          await new Promise((r) => setImmediate(r));
          return outgoingTraceHeaders();
        }),
      );
    });
    for (const headers of seen) {
      expect(headers.correlationid).toBe('corr-42');
      expect(parseTraceparent(headers.traceparent)).toEqual(scope.trace);
    }
    expect(currentTrace()).toBeUndefined();
  });

  it('starts a new trace and correlation id when the headers have none or malformed ones', () => {
    const scope = traceFromHeaders({ traceparent: 'garbage', correlationid: 'has spaces and ünïcode' });
    expect(scope.trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(scope.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(traceFromHeaders(undefined).trace.flags).toBe(1);
  });

  it('gives work outside any scope a fresh trace', () => {
    const a = outgoingTraceHeaders();
    const b = outgoingTraceHeaders();
    expect(parseTraceparent(a.traceparent)).toBeDefined();
    expect(a.traceparent).not.toBe(b.traceparent);
  });
});
