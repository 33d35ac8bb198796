import type { Span } from '@opentelemetry/api';
import { failureAttributes } from './failure-attributes';
import { enqueueLink } from './outbox-trace';
import { routeAttributes, type SendProbe, type TelemetryRoute } from './send-probe';
import { ATTR, SPAN, type AttemptOutcome, type TelemetryChannel } from './telemetry-names';
import { secondsSince, type TelemetryScope } from './telemetry-scope';

/** What an attempt knows of its job before it sends. */
export interface AttemptJob {
  tenant: string;
  messageId: string;
  /** Epoch milliseconds of the enqueue: the start of `smtp_settings.delivery.latency`. */
  createdAt: number;
  /** The enqueuing span's W3C trace context, when the job carries one. */
  trace?: unknown;
}

/** What the outbox made of a failed attempt: its outcome, and its error code and stage. */
export interface AttemptVerdict {
  outcome: Exclude<AttemptOutcome, 'sent'>;
  /** The outbox's error code (`OutboxError.code`): the span's `error.type`. */
  code: string;
  stage?: string;
  replyCode?: number;
}

/**
 * One outbox delivery attempt: an `smtp.attempt` span linked to the span that enqueued the message,
 * which the transport's send annotates with its route (no `smtp.send` of its own), and the
 * outcome the outbox decides: `smtp_settings.messages` (not for `retry`: the message is still
 * waiting), `smtp_settings.attempt.duration`, and once sent `smtp_settings.delivery.latency`.
 */
export async function traceAttempt<T>(
  scope: TelemetryScope,
  job: AttemptJob,
  work: (probe: SendProbe) => Promise<T>,
  verdictOf: (error: unknown) => AttemptVerdict,
): Promise<T> {
  const started = performance.now();
  const attributes = { [ATTR.tenant]: job.tenant, [ATTR.messageId]: job.messageId };
  const kind = scope.kind.CONSUMER;
  const span = scope.startSpan(SPAN.attempt, kind, attributes, enqueueLink(scope, job.trace));
  const probe = new AttemptProbe(span);
  let result: T;
  try {
    result = await scope.within(span, () => work(probe));
  } catch (error) {
    const verdict = verdictOf(error);
    const { code, stage, replyCode: responseCode } = verdict;
    scope.endFailed(span, {
      ...failureAttributes({ code, stage, responseCode }),
      [ATTR.outcome]: verdict.outcome,
    });
    record(scope, job, probe.channel, verdict.outcome, started);
    throw error;
  }
  span?.setAttributes({ [ATTR.outcome]: 'sent', ...probe.recipients });
  span?.end();
  record(scope, job, probe.channel, 'sent', started);
  return result;
}

function record(
  scope: TelemetryScope,
  job: AttemptJob,
  channel: TelemetryChannel | undefined,
  outcome: AttemptOutcome,
  started: number,
): void {
  const instruments = scope.instruments;
  if (!instruments) return;
  const byChannel = channel ? { [ATTR.channel]: channel } : {};
  const attributes = scope.metric(job.tenant, { [ATTR.outcome]: outcome, ...byChannel });
  instruments.attemptDuration.record(secondsSince(started), attributes);
  if (outcome === 'retry') return;
  instruments.messages.add(1, attributes);
  if (outcome === 'sent') {
    const latency = Math.max(0, (Date.now() - job.createdAt) / 1000);
    instruments.deliveryLatency.record(latency, scope.metric(job.tenant, byChannel));
  }
}

/** The transport's view of an outbox attempt: it annotates the attempt's span, and counts nothing. */
class AttemptProbe implements SendProbe {
  channel: TelemetryChannel | undefined;
  recipients: Record<string, number> = {};

  constructor(private readonly span: Span | undefined) {}

  route(route: TelemetryRoute): void {
    this.channel = route.channel;
    this.span?.setAttributes(routeAttributes(route));
  }

  sent(result: { envelope?: { to?: readonly unknown[] } }): void {
    if (result.envelope?.to) this.recipients = { [ATTR.recipients]: result.envelope.to.length };
  }

  failed(): void {
    // The outbox decides what a failure means (held, deferred, retry...): see traceAttempt.
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    // The attempt's span is current already.
    return work();
  }
}
