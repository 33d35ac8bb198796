import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'nest-smtp-settings';

/**
 * The version in the package's own package.json, read once at run time so that it never drifts.
 * The package root is searched upwards: this file runs from lib/ (tests), dist/ (the published
 * package), and from dist-sample/ and dist-bench/, where it sits one level deeper.
 */
export const PACKAGE_VERSION: string = readVersion(__dirname);

function readVersion(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === PACKAGE_NAME && manifest.version) return manifest.version;
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}
