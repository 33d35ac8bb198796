import type { SampleEnv } from '../sample.config';
import { SampleConfigError } from '../sample-config.error';
import { parseTelemetry, type SampleTelemetryConfig } from './telemetry.config';

/**
 * The telemetry settings of the startup environment, read before Nest boots since the SDK must be
 * registered before the library asks the API for its meter.
 */
export function readTelemetryConfig(env: SampleEnv): SampleTelemetryConfig | undefined {
  const problems: string[] = [];
  const config = parseTelemetry(env, problems);
  if (problems.length > 0) {
    throw new SampleConfigError(`The sample app cannot start:\n- ${problems.join('\n- ')}`);
  }
  return config;
}
