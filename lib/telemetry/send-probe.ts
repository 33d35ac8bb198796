import type { Attributes, Span } from '@opentelemetry/api';
import { failureAttributes } from './failure-attributes';
import { ATTR, SPAN, type TelemetryChannel } from './telemetry-names';
import { secondsSince, type TelemetryScope } from './telemetry-scope';

/** The channel a message is on, as the transport knows it. */
export interface TelemetryRoute {
  channel: TelemetryChannel;
  /** `basic`, or a Bearer provider (`microsoft`, `microsoft-graph`, `google`); none for the relay. */
  provider?: string;
  host?: string;
  port?: number;
}

/** What the transport reports of one message: hooks of one line each at its call sites. */
export interface SendProbe {
  /** The channel the message is on (again after a failover to the backup connection). */
  route(route: TelemetryRoute): void;
  sent(result: { messageId?: string; envelope?: { to?: readonly unknown[] } }): void;
  failed(error: unknown): void;
  /** Runs the send with the probe's span current: token requests become its children. */
  run<T>(work: () => Promise<T>): Promise<T>;
}

/** The span attributes of a route. */
export function routeAttributes(route: TelemetryRoute) {
  return {
    [ATTR.channel]: route.channel,
    ...(route.provider ? { [ATTR.provider]: route.provider } : {}),
    ...(route.host ? { [ATTR.serverAddress]: route.host } : {}),
    ...(route.port ? { [ATTR.serverPort]: route.port } : {}),
  };
}

function countAttributes(outcome: string, channel: TelemetryChannel | undefined): Attributes {
  return channel
    ? { [ATTR.outcome]: outcome, [ATTR.channel]: channel }
    : { [ATTR.outcome]: outcome };
}

/** Without the tenant there are a few dozen at most: each made once, not once a message. */
const countAttributesByOutcome = new Map<string, Map<TelemetryChannel | undefined, Attributes>>();

function sharedCountAttributes(outcome: string, channel: TelemetryChannel | undefined): Attributes {
  let byChannel = countAttributesByOutcome.get(outcome);
  if (!byChannel) countAttributesByOutcome.set(outcome, (byChannel = new Map()));
  let attributes = byChannel.get(channel);
  if (!attributes) byChannel.set(channel, (attributes = countAttributes(outcome, channel)));
  return attributes;
}

/**
 * The attributes of each route, made once: the transport hands the same route object for every
 * message on a channel (see routeTelemetry).
 */
const attributesByRoute = new WeakMap<TelemetryRoute, ReturnType<typeof routeAttributes>>();

function attributesOf(route: TelemetryRoute): ReturnType<typeof routeAttributes> {
  let attributes = attributesByRoute.get(route);
  if (!attributes) {
    attributes = routeAttributes(route);
    attributesByRoute.set(route, attributes);
  }
  return attributes;
}

/**
 * A direct send (`MailerService.send`, or any transporter over the live transport): one
 * `smtp.send` span for the whole of it, its retries and a failover included, one count in
 * `smtp_settings.messages` and one `smtp_settings.attempt.duration`.
 */
export class DirectSend implements SendProbe {
  private readonly span: Span | undefined;
  private readonly started = performance.now();
  private channel: TelemetryChannel | undefined;

  constructor(
    private readonly scope: TelemetryScope,
    private readonly tenant: string,
  ) {
    this.span = scope.startSpan(SPAN.send, scope.kind.CLIENT, { [ATTR.tenant]: tenant });
  }

  route(route: TelemetryRoute): void {
    this.channel = route.channel;
    this.span?.setAttributes(attributesOf(route));
  }

  sent(result: { messageId?: string; envelope?: { to?: readonly unknown[] } }): void {
    const span = this.span;
    if (span) {
      // One call each rather than an object of spreads: this runs for every message sent.
      if (result.messageId) span.setAttribute(ATTR.messageId, result.messageId);
      const to = result.envelope?.to;
      if (to) span.setAttribute(ATTR.recipients, to.length);
      span.end();
    }
    this.count('sent');
  }

  failed(error: unknown): void {
    const failure = failureAttributes(error);
    this.scope.endFailed(this.span, failure);
    this.count(failure[ATTR.errorType] === 'DELIVERY_UNCERTAIN' ? 'uncertain' : 'failed');
  }

  run<T>(work: () => Promise<T>): Promise<T> {
    return this.scope.within(this.span, work);
  }

  private count(outcome: 'sent' | 'failed' | 'uncertain'): void {
    const instruments = this.scope.instruments;
    if (!instruments) return;
    const attributes = this.scope.tenantAttribute
      ? this.scope.metric(this.tenant, countAttributes(outcome, this.channel))
      : sharedCountAttributes(outcome, this.channel);
    instruments.messages.add(1, attributes);
    instruments.attemptDuration.record(secondsSince(this.started), attributes);
  }
}
