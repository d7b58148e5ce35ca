/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
  // Two cores in CI: keep workers bounded so loopback servers don't starve.
  maxWorkers: process.env.CI ? 2 : '50%',
  testTimeout: 30000,
};
