import preset from '../../jest.preset.js';

/** @type {import('jest').Config} */
export default { ...preset, testMatch: ['<rootDir>/*.spec.mjs'], testTimeout: 240_000 };
