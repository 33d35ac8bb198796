import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { StartedTelemetry } from './started-telemetry';
import type { SampleTelemetryConfig } from './telemetry.config';

/**
 * Starts the Node SDK: the library's spans and metrics (and BullMQ's) go through the API it
 * registers. Loaded only when telemetry is on, so that without it no SDK module is even read.
 */
export function startTelemetry(config: SampleTelemetryConfig): StartedTelemetry {
  // Served by the app behind the admin guard, not on a port of its own (see MetricsController).
  const prometheus =
    config.metrics === 'prometheus' ? new PrometheusExporter({ preventServerStart: true }) : null;
  const sdk = new NodeSDK({
    serviceName: config.serviceName,
    spanProcessors: spanProcessors(config),
    metricReaders: prometheus ? [prometheus] : [],
    // The app logs through Nest's logger; without this the SDK would ship logs to OTLP by default.
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return {
    config,
    metricsHandler: prometheus
      ? (req: IncomingMessage, res: ServerResponse) => prometheus.getMetricsRequestHandler(req, res)
      : null,
    async shutdown() {
      await sdk.shutdown();
      // Unregistered, so that an app started again in this process (tests do) registers its own.
      for (const api of [metrics, trace, propagation, context]) api.disable();
    },
  };
}

function spanProcessors(config: SampleTelemetryConfig): SpanProcessor[] {
  switch (config.traces) {
    case 'none':
      return [];
    case 'console':
      // One span printed as it ends: the console is for watching, not for throughput.
      return [new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() })];
    case 'otlp':
      return [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: config.otlpTracesUrl }) }),
      ];
  }
}
