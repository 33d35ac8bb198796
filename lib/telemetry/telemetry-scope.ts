import type { Attributes, Link, Span, SpanKind } from '@opentelemetry/api';
import { instrumentsOf, type Instruments } from './telemetry-instruments';
import type { Otel } from './otel-api';
import { ATTR } from './telemetry-names';
import { failureAttributes } from './failure-attributes';

/** What every probe reports through: the app's tracer and meter, and the module's choice of tenant. */
export class TelemetryScope {
  /** `null` when the app registered a tracer provider but no meter provider. */
  readonly instruments: Instruments | null;

  constructor(
    readonly otel: Otel,
    /** `telemetry.tenantAttribute`: the tenant on metrics too (spans always carry it). */
    readonly tenantAttribute: boolean,
  ) {
    this.instruments = otel.meter ? instrumentsOf(otel.meter) : null;
  }

  get kind(): typeof SpanKind {
    return this.otel.api.SpanKind;
  }

  /** A metric's attributes, with the tenant only when the app chose that cardinality. */
  metric(tenant: string | undefined, attributes: Attributes): Attributes {
    if (!this.tenantAttribute || tenant === undefined) return attributes;
    return { ...attributes, [ATTR.tenant]: tenant };
  }

  /** A span, or `undefined` when the app traces nothing (it may only meter). */
  startSpan(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links?: Link[],
  ): Span | undefined {
    return this.otel.tracer?.startSpan(name, { kind, attributes, links });
  }

  /** Runs `work` with `span` current, so that what it does (a token request) is its child. */
  within<T>(span: Span | undefined, work: () => Promise<T>): Promise<T> {
    if (!span) return work();
    const { context, trace } = this.otel.api;
    return context.with(trace.setSpan(context.active(), span), work);
  }

  /** Ends the span as failed: `error.type` and the stage and reply code, never a message. */
  endFailed(span: Span | undefined, failure: Attributes): void {
    if (!span) return;
    span.setAttributes(failure);
    span.setStatus({ code: this.otel.api.SpanStatusCode.ERROR });
    span.end();
  }

  /** `endFailed` for a thrown error. */
  endThrown(span: Span | undefined, error: unknown): void {
    this.endFailed(span, failureAttributes(error));
  }
}

/** Seconds since `started` (a `performance.now()`), as the histograms take them. */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}
