// `node --import <this file>`: the process appends the URL of every module it loads to the file named by
// RXBRIDGE_MODULE_LOG, one a line. The startup test runs the CLI so, to see what a command loads.
import { register } from 'node:module';

register('./module-log-hooks.mjs', import.meta.url, { data: { file: process.env.RXBRIDGE_MODULE_LOG } });
