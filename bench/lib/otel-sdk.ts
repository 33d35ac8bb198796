import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
// A dependency of @opentelemetry/sdk-trace: the W3C propagator that NodeSDK registers by default.
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

class OnDemandReader extends MetricReader {
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * The OpenTelemetry SDK as an app registers it: tracer and meter providers, the async context
 * manager and the W3C propagator; spans exported to memory in batches (BatchSpanProcessor, what
 * an app runs in production), metrics aggregated in memory (read on demand, as a Prometheus scrape
 * would).
 */
export function registerOtelSdk(): {
  spans: InMemorySpanExporter;
  flush(): Promise<void>;
  close(): Promise<void>;
} {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: spans,
        // Every span exported, none dropped: a queue that holds a second of the fastest variant.
        maxQueueSize: 16_384,
        maxExportBatchSize: 1_024,
        scheduledDelayMillis: 200,
      }),
    ],
  });
  const meterProvider = new MeterProvider({ readers: [new OnDemandReader()] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans,
    flush: () => tracerProvider.forceFlush(),
    async close() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}
