// Shared Jest setup: NestJS 12 is ESM-only, so tests run as native ESM (node --experimental-vm-modules)
// and @swc/jest strips types and compiles Nest's decorators with their metadata.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          keepClassNames: true,
        },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
  },
  // Sources import siblings as './x.js' (Node ESM resolution); Jest resolves them to the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts', '<rootDir>/test/**/*.spec.mjs'],
  testTimeout: 60_000,
  reporters: ['default', new URL('./tools/jest/summary-reporter.js', import.meta.url).pathname],
};
