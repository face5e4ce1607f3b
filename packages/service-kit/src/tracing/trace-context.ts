import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): `traceparent` =
 * version "-" trace-id (16 bytes hex) "-" parent-id (8 bytes hex) "-" trace-flags, lowercase.
 */
export interface TraceParent {
  traceId: string;
  parentId: string;
  /** Bit field; 0x01 = sampled. */
  flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;

/**
 * Parses a traceparent header, or returns undefined for a malformed one (the spec says: then start a new
 * trace). Version 00 must be exactly 55 characters; a later version may append fields, which are ignored;
 * version ff is invalid; all-zero ids are invalid.
 */
export function parseTraceparent(value: string | Buffer | undefined | null): TraceParent | undefined {
  if (value === undefined || value === null) return undefined;
  const text = (typeof value === 'string' ? value : value.toString('latin1')).trim();
  const match = TRACEPARENT.exec(text);
  if (!match) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff') return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  return { traceId, parentId, flags: parseInt(flags, 16) };
}

export function formatTraceparent(trace: TraceParent): string {
  if (!/^[0-9a-f]{32}$/.test(trace.traceId) || ALL_ZERO.test(trace.traceId))
    throw new Error('invalid trace id');
  if (!/^[0-9a-f]{16}$/.test(trace.parentId) || ALL_ZERO.test(trace.parentId))
    throw new Error('invalid parent id');
  if (!Number.isInteger(trace.flags) || trace.flags < 0 || trace.flags > 0xff)
    throw new Error('invalid trace flags');
  return `00-${trace.traceId}-${trace.parentId}-${trace.flags.toString(16).padStart(2, '0')}`;
}

// Trace and span ids are not secrets, only unique: they come from a pool refilled 4 KiB at a time, because
// one randomBytes call per id was a measurable share of the gateway's CPU per request (bench/gateway).
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function nonZeroHex(bytes: number): string {
  for (;;) {
    if (poolOffset + bytes > pool.length) {
      pool = randomBytes(POOL_BYTES);
      poolOffset = 0;
    }
    const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
    poolOffset += bytes;
    if (!ALL_ZERO.test(hex)) return hex;
  }
}

/** A new trace, sampled by default. */
export function newTrace(sampled = true): TraceParent {
  return { traceId: nonZeroHex(16), parentId: nonZeroHex(8), flags: sampled ? 1 : 0 };
}

/** A span inside the same trace: same trace id and flags, a new span id (the parent id for whoever it calls). */
export function childSpan(parent: TraceParent): TraceParent {
  return { traceId: parent.traceId, parentId: nonZeroHex(8), flags: parent.flags };
}

/** What travels with one unit of work (a record, a request) to everything it causes. */
export interface TraceScope {
  /** The span of the current work; outgoing records and calls name it as their parent. */
  trace: TraceParent;
  correlationId: string;
}

const storage = new AsyncLocalStorage<TraceScope>();

export function runWithTrace<T>(scope: TraceScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function currentTrace(): TraceScope | undefined {
  return storage.getStore();
}

export const TRACE_HEADERS = { traceparent: 'traceparent', correlationId: 'correlationid' } as const;

type HeaderValue = string | Buffer | (string | Buffer)[] | undefined;

function firstHeader(value: HeaderValue): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.toString('utf8');
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The scope for work caused by an incoming record or request: a child span of its traceparent (or a new trace
 * when it has none or a malformed one) and its correlation id (or a new one). Works with Kafka headers
 * (Buffers) and HTTP headers (strings) alike.
 */
export function traceFromHeaders(headers: Record<string, HeaderValue> | undefined): TraceScope {
  const incoming = parseTraceparent(firstHeader(headers?.[TRACE_HEADERS.traceparent]));
  const correlation = firstHeader(headers?.[TRACE_HEADERS.correlationId])?.trim();
  return {
    trace: incoming ? childSpan(incoming) : newTrace(),
    correlationId: correlation && CORRELATION_ID.test(correlation) ? correlation : randomUUID(),
  };
}

/**
 * Headers for a record or RxScale call made now: the current scope's trace and correlation id, or a fresh
 * trace when called outside any scope (e.g. a scheduled job).
 */
export function outgoingTraceHeaders(scope: TraceScope | undefined = currentTrace()): {
  traceparent: string;
  correlationid: string;
} {
  const s = scope ?? { trace: newTrace(), correlationId: randomUUID() };
  return { traceparent: formatTraceparent(s.trace), correlationid: s.correlationId };
}
