// Module hooks (they run on Node's hooks thread): each module's URL is appended to the log as it is loaded.
// Node's hooks see every ES module and each CommonJS module that one imports (kafkajs, pg), not the files a
// CommonJS module require()s in turn: enough to name the packages a command pulls in.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data.file;
}

export async function load(url, context, nextLoad) {
  if (file) appendFileSync(file, `${url}\n`);
  return nextLoad(url, context);
}
