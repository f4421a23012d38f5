/** Unit and integration tests: need only Node and npm. */
/** The contract and the SDK from their sources, as the type checker and tsx read it (the build's dist is for `npm start`). */
const workspaces = {
  '^@rpa-analytics/contract$': '<rootDir>/contract/src/index.ts',
  '^@rpa-analytics/contract/(.*)$': '<rootDir>/contract/src/$1',
  '^@rpa-analytics/sdk$': '<rootDir>/sdk/src/index.ts',
  '^@rpa-analytics/sdk/(.*)$': '<rootDir>/sdk/src/$1',
};
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } }, target: 'es2022' } }];

module.exports = {
  testTimeout: 30000,
  projects: [
    {
      displayName: 'backend',
      testEnvironment: 'node',
      transform: { '^.+\\.(t|j)sx?$': ['@swc/jest'] },
      moduleNameMapper: workspaces,
      testMatch: [
        '<rootDir>/contract/src/**/*.test.ts',
        '<rootDir>/sdk/src/**/*.test.ts',
        '<rootDir>/backend/src/**/*.test.ts',
        '<rootDir>/backend/examples/**/*.test.ts',
        '<rootDir>/test/**/*.test.ts',
      ],
      testPathIgnorePatterns: ['/node_modules/', '\\.e2e\\.test\\.ts$'],
    },
    {
      displayName: 'plugin',
      // @grafana/data needs a window; it loads from its CommonJS build.
      testEnvironment: 'jsdom',
      // d3-color and friends ship only ES modules (.mjs).
      transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
      // and @grafana/ui pulls in more ES-module-only packages: transform node_modules too (swc is fast, and cached).
      transformIgnorePatterns: [
        '/node_modules/(?!.*\\.mjs$)(react|react-dom|scheduler|@grafana/data|@grafana/schema|lodash|moment|moment-timezone|rxjs|@emotion/[^/]+|@floating-ui/[^/]+|@popperjs/core|monaco-editor)/',
      ],
      testMatch: ['<rootDir>/plugin/src/**/*.test.ts?(x)', '<rootDir>/plugin/tests/**/*.test.ts?(x)'],
      testPathIgnorePatterns: ['/node_modules/', '\\.e2e\\.test\\.tsx?$'],
      setupFiles: ['<rootDir>/plugin/tests/setupJsdom.js'],
      moduleNameMapper: { ...workspaces, '\\.(css|scss|sass|less)$': '<rootDir>/plugin/tests/styleStub.js' },
    },
  ],
};
