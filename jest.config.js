/**
 * Three projects, by what a test needs (`npm run test:unit`, `test:e2e`, `test:integration`;
 * `npm test` runs all three):
 * - unit: `*.spec.ts`, nothing but the code (specs next to it in lib/, and test/);
 * - e2e: `*.e2e-spec.ts`, real peers on loopback (SMTP servers, HTTPS fakes, the sample app);
 * - integration: `*.integration-spec.ts`, PostgreSQL and Redis (`compose.yaml` starts both).
 * @type {import('jest').Config}
 */
const project = (displayName, suffix, extra = {}) => ({
  displayName,
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: `(lib|test|sample-app)/.*\\.${suffix}\\.ts$`,
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  ...extra,
});

// The leak scan captures what e2e and integration files produce (their responses, logs, stores)
// and every secret they handle; unit specs produce none, and need not load all of lib/ for it.
const scanned = { setupFilesAfterEnv: ['<rootDir>/test/leak-scan/capture.ts'] };

module.exports = {
  // A test's own budget: the long proofs size theirs from their work (messages × a per-message allowance).
  testTimeout: 60000,
  // Most suites wait on sockets, not the CPU: more workers than cores finish sooner on 2 cores.
  maxWorkers: 4,
  // The proofs that take minutes start first (a fresh clone has no timings to order by).
  testSequencer: '<rootDir>/test/fixtures/long-first-sequencer.js',
  globalSetup: '<rootDir>/test/leak-scan/global-setup.js',
  globalTeardown: '<rootDir>/test/leak-scan/global-teardown.ts',
  projects: [
    project('unit', 'spec'),
    project('e2e', 'e2e-spec', scanned),
    project('integration', 'integration-spec', {
      ...scanned,
      globalSetup: '<rootDir>/test/fixtures/services-reachable.js',
    }),
  ],
};
