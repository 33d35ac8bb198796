import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SampleTelemetryConfig } from './telemetry.config';

/** The token of the started SDK's handle, provided only while telemetry is on. */
export const STARTED_TELEMETRY = 'SAMPLE:STARTED_TELEMETRY';

/** The running OpenTelemetry SDK, as the app sees it; the SDK's own types stay in start-telemetry. */
export interface StartedTelemetry {
  config: SampleTelemetryConfig;
  /** The Prometheus exporter's text-format handler, or `null` with OTEL_METRICS_EXPORTER=none. */
  metricsHandler: ((req: IncomingMessage, res: ServerResponse) => void) | null;
  /** Flushes what is buffered and unregisters the SDK from the API. */
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK when telemetry is on, loading it only then (a require, not an import at the top,
 * so that the quick start reads no OpenTelemetry module).
 */
export function startTelemetryIfOn(
  config: SampleTelemetryConfig | undefined,
): StartedTelemetry | null {
  if (!config) return null;
  // oxlint-disable-next-line typescript/no-require-imports
  const { startTelemetry } = require('./start-telemetry') as typeof import('./start-telemetry');
  return startTelemetry(config);
}
