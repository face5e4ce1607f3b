// @ts-check
// Webhook signature verification (HMAC-SHA256 over the raw bytes, constant-time compare) for a 4 KiB
// body: verifications per second with one secret, and with two during a rotation (both are computed).
// Usage: npm run bench -- signature [seconds=3]
import { createHmac, randomBytes } from 'node:crypto';
import { verifyWebhookSignature } from '@rxbridge/rxscale-client';
import { report } from './report.mjs';

const seconds = Number(process.argv[2] ?? 3);
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('usage: signature [seconds > 0]');
const body = randomBytes(4096);
const secret = `whsec_${randomBytes(18).toString('base64url')}`;
const oldSecret = `whsec_${randomBytes(18).toString('base64url')}`;
const signature = createHmac('sha256', secret).update(body).digest('hex');

/** @param {string[]} secrets */
function run(secrets) {
  // Warm up, then count for the given time.
  for (let i = 0; i < 2000; i++) verifyWebhookSignature(body, signature, secrets);
  let n = 0;
  const start = performance.now();
  const until = start + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 500; i++) {
      if (!verifyWebhookSignature(body, signature, secrets).valid)
        throw new Error('signature did not verify');
    }
    n += 500;
  }
  return n / ((performance.now() - start) / 1000);
}

const oneSecret = run([secret]);
const twoSecrets = run([oldSecret, secret]);
report(
  'signature',
  {
    verificationsPerSecond: Math.round(oneSecret),
    verificationsPerSecondTwoSecrets: Math.round(twoSecrets),
    microsecondsPerVerification: Math.round((1e6 / oneSecret) * 100) / 100,
  },
  // RxScale delivers a handful of webhooks a second; a gateway replica must not spend its CPU here.
  { throughput: { figure: 'verificationsPerSecond', atLeast: 10_000 } },
  { bodyBytes: body.length, seconds },
);
