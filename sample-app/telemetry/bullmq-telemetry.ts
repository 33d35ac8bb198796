/** The tracer name of BullMQ's own spans, beside the module's `nest-smtp-settings` ones. */
export const BULLMQ_TRACER = 'nest-smtp-settings-sample';

/**
 * BullMQ's own spans (adding a job, processing it) through `bullmq-otel`, for the outbox option
 * `telemetry`: required here, with telemetry on, so that the quick start never loads it.
 */
export function bullmqTelemetry(): object {
  // oxlint-disable-next-line typescript/no-require-imports
  const { BullMQOtel } = require('bullmq-otel') as typeof import('bullmq-otel');
  return new BullMQOtel({ tracerName: BULLMQ_TRACER });
}
