/**
 * Browser tests: the sample app's admin page in a real headless Chromium (Debian's, driven by
 * playwright-core; no browser is downloaded). Not part of `npm test`: run `npm run test:browser`.
 * @type {import('jest').Config}
 */
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testRegex: 'test/browser/.*\\.browser-spec\\.ts$',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 60000,
};
