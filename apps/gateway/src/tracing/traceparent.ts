import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

// Ids drawn from a pool refilled 4 KiB at a time: one getrandom call per ~170 requests instead of two each.
let pool = Buffer.alloc(0);
let used = 0;
function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

/**
 * W3C trace context: the gateway's span continues the caller's trace when a valid `traceparent` came in,
 * else starts a new trace. Version ff and all-zero ids are invalid per the spec and start a new trace.
 */
export function childTraceparent(incoming: string | undefined): string {
  const m = incoming ? TRACEPARENT.exec(incoming.trim().toLowerCase()) : null;
  const span = randomHex(8);
  if (m && m[1] !== 'ff' && m[2] !== ZERO_TRACE && m[3] !== ZERO_SPAN) return `00-${m[2]}-${span}-${m[4]}`;
  return `00-${randomHex(16)}-${span}-01`;
}
