export * from './service-metrics.js';
export * from './metrics.module.js';
export * from './plumbing-metrics.js';
export * from './rxscale-metrics.js';
