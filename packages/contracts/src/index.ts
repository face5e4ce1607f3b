export * from './cloud-event.js';
export * from './topic-catalog.js';
