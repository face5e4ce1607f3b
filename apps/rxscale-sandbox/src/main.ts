import { optionsFromEnv } from './config.js';
import { startResolved } from './sandbox.js';

// The process entry: `node dist/main.js` (or `npm start` in this folder, which loads the demo seed).
try {
  const options = optionsFromEnv(process.env);
  const sandbox = await startResolved(options);
  console.log(
    `[sandbox] RxScale sandbox listening on ${sandbox.url} (API ${sandbox.apiUrl()} and ${sandbox.url}/v1/external_pharmacy_api, admin ${sandbox.adminUrl}; rate limit ${options.rateLimit ? 'on' : 'off'}${options.seed ? `; seed ${options.seed}` : ''})`,
  );
  const stop = () => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  console.error(`[sandbox] not started: ${(err as Error).message}`);
  process.exit(1);
}
