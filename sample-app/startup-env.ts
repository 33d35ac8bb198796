import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { parseOutbox, type SampleOutboxConfig } from './outbox/outbox.config';
import type { SampleEnv } from './sample.config';

/**
 * The environment as `ConfigModule` will see it (`.env` under the process environment, the
 * overrides on top), for the few settings read before Nest does: they decide which modules load.
 */
export function startupEnv(overrides: SampleEnv = {}): SampleEnv {
  const file = resolve(process.cwd(), '.env');
  const dotEnv = existsSync(file) ? (parseEnv(readFileSync(file, 'utf8')) as SampleEnv) : {};
  return { ...dotEnv, ...process.env, ...overrides };
}

/** The outbox as the sample config will parse it; its problems are reported by that parse. */
export function startupOutbox(env: SampleEnv): SampleOutboxConfig | undefined {
  const value = (name: string): string | undefined => env[name]?.trim() || undefined;
  return parseOutbox(value, value('DATABASE_URL'), []);
}
