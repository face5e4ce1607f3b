export * from './health-checks.js';
export * from './health.module.js';
export * from './rxscale-reachability.js';
