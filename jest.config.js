/**
 * Two tiers: `unit` (pure functions, next to the code: src/**\/*.spec.ts, seconds) and `e2e` (HTTP and
 * process-level tests on a real PostgreSQL: test/**\/*.e2e-spec.ts). `npm test` runs both; `npm run
 * test:unit` the first; `npm run test:slow` the four process-level suites (outage, crash, instances,
 * service-process).
 */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] };
const common = {
  rootDir: '.',
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform,
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/load/', '/test/browser/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  testTimeout: 60000,
  // Exit once the global teardown has stopped the test PostgreSQL, even if a keep-alive socket lingers.
  forceExit: true,
};
