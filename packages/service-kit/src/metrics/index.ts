export * from './service-metrics.js';
export * from './metrics.module.js';
