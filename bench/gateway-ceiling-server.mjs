// @ts-check
// The ceiling for the gateway benchmark: a bare node:http server that does only what no webhook receiver
// can skip (read the body, check the content type, verify the HMAC on the raw bytes) and answers 200.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const secret = process.env.CEILING_SECRET ?? '';
const port = Number(process.env.CEILING_PORT ?? 0);

const server = createServer((req, res) => {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    res.writeHead(415).end();
    return;
  }
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const given = Buffer.from(String(req.headers['x-webhook-signature'] ?? ''), 'utf8');
    const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'), 'utf8');
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    res
      .writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
      .end(ok ? '{"status":"stored"}' : '{"status":"error"}');
  });
});
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening ${typeof address === 'object' && address ? address.port : port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
