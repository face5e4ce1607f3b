export * from './load-config.js';
export * from './env-values.js';
export * from './config-sections.js';
export * from './env-docs.js';
export * from './rxscale-sources-config.js';
export * from './env-example.js';
