import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The version in the package's own package.json, read once at run time so that it never drifts.
 * This file sits two levels below the package root both as lib/internal/*.ts (tests) and as
 * dist/internal/*.js (the published package).
 */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
