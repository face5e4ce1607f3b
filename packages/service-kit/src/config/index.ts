export * from './load-config.js';
export * from './env-values.js';
export * from './config-sections.js';
