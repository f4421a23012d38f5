/** Tests that need Chromium or Prometheus from Debian packages (see README). */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
  testMatch: ['<rootDir>/test/**/*.e2e.test.ts', '<rootDir>/backend/src/**/*.e2e.test.ts'],
  testTimeout: 120000,
};
