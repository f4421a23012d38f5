/** Tests that need Chromium, Prometheus, poppler-utils or PostgreSQL from Debian packages (see README). */
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } }, target: 'es2022' } }];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)sx?$': swc },
  moduleNameMapper: {
    '^@rpa-analytics/contract$': '<rootDir>/contract/src/index.ts',
    '^@rpa-analytics/contract/(.*)$': '<rootDir>/contract/src/$1',
    '^@rpa-analytics/sdk$': '<rootDir>/sdk/src/index.ts',
    '^@rpa-analytics/sdk/(.*)$': '<rootDir>/sdk/src/$1',
  },
  testMatch: ['<rootDir>/test/**/*.e2e.test.ts', '<rootDir>/backend/src/**/*.e2e.test.ts', '<rootDir>/plugin/tests/**/*.e2e.test.ts'],
  testTimeout: 120000,
};
