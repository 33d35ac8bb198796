/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: '(lib|test|sample-app)/.*\\.(spec|e2e-spec)\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 30000,
  // Most suites wait on sockets, not the CPU: more workers than cores finish sooner on 2 cores.
  maxWorkers: 4,
  // The leak scan: capture what every test produces, then search it for every secret.
  globalSetup: '<rootDir>/test/leak-scan/global-setup.js',
  setupFilesAfterEnv: ['<rootDir>/test/leak-scan/capture.ts'],
  globalTeardown: '<rootDir>/test/leak-scan/global-teardown.ts',
};
