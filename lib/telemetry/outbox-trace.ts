import type { Link } from '@opentelemetry/api';
import { ATTR, SPAN } from './telemetry-names';
import type { TelemetryScope } from './telemetry-scope';

/**
 * The W3C trace context (`traceparent`, `tracestate`) of the request that enqueued a message, as
 * its job carries it. Absent in jobs written before it existed, or while nothing traced.
 */
export type TraceCarrier = Record<string, string>;

/** What `enqueue` tells its span once the message is prepared. */
export interface EnqueueProbe {
  /** The message's Message-ID and recipient count; the span's context goes into `job.trace`. */
  prepared(job: { messageId: string; trace?: TraceCarrier }, recipients: number): void;
}

/** The enqueue's `smtp.enqueue` span (a producer), current while `work` runs. */
export async function traceEnqueue<T>(
  scope: TelemetryScope,
  tenant: string,
  work: (probe: EnqueueProbe) => Promise<T>,
): Promise<T> {
  const span = scope.startSpan(SPAN.enqueue, scope.kind.PRODUCER, { [ATTR.tenant]: tenant });
  const { context, propagation } = scope.otel.api;
  const probe: EnqueueProbe = {
    prepared(job, recipients) {
      span?.setAttributes({ [ATTR.messageId]: job.messageId, [ATTR.recipients]: recipients });
      const carrier: TraceCarrier = {};
      // Runs inside `within(span)`: the active context is the enqueue span's.
      propagation.inject(context.active(), carrier);
      if (Object.keys(carrier).length > 0) job.trace = carrier;
    },
  };
  try {
    const result = await scope.within(span, () => work(probe));
    span?.end();
    return result;
  } catch (error) {
    scope.endThrown(span, error);
    throw error;
  }
}

/**
 * A link to the span that enqueued the message, from the job's carrier. A link, not a parent: an
 * attempt may run minutes or days later, many times, on any replica, and each is a unit of work of
 * its own; as children they would stretch the request's trace over all of that. The link still
 * leads from every attempt to the request (and a tracing backend shows the way back).
 */
export function enqueueLink(scope: TelemetryScope, carrier: unknown): Link[] {
  if (!isCarrier(carrier)) return [];
  const { propagation, trace, ROOT_CONTEXT, isSpanContextValid } = scope.otel.api;
  const linked = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
  return linked && isSpanContextValid(linked) ? [{ context: linked }] : [];
}

function isCarrier(value: unknown): value is TraceCarrier {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((item) => typeof item === 'string')
  );
}
