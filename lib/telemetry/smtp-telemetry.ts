import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';
import { traceCheck, type CheckResult } from './admin-check';
import { registeredOtel } from './otel-api';
import { traceAttempt, type AttemptJob, type AttemptVerdict } from './outbox-attempt';
import { OutboxGauges } from './outbox-gauges';
import { traceEnqueue, type EnqueueProbe } from './outbox-trace';
import { DirectSend, type SendProbe } from './send-probe';
import { ATTR, SPAN } from './telemetry-names';
import { resolveTelemetryOptions } from './telemetry-options';
import { TelemetryScope } from './telemetry-scope';
import { tokenProbe, type TokenProbe } from './token-probe';

/**
 * The field of a message's data through which an outbox attempt names its probe to the transport,
 * so that the transport annotates the attempt's span instead of making an `smtp.send` of its own.
 * nodemailer ignores fields it does not know, as it does `tenant`. A key, not the probe: nodemailer
 * walks a message's data, and a probe leads to the whole SDK.
 */
export const ATTEMPT_PROBE = 'smtpSettingsAttempt';

/** The probes of the attempts under way, by their key. */
const attempts = new Map<string, SendProbe>();
let lastAttempt = 0;

/**
 * The module's traces and metrics, for one module's options. Every call site holds one line: a
 * probe when something is registered, `undefined` (or the work run as it is) when not. Whether
 * the app registered a tracer or a meter provider is looked up once, on first use, and kept: an
 * app registers its SDK before it creates its Nest app, as OpenTelemetry's own instrumentations
 * require. Until then and without it, nothing is made, not even a no-op span.
 */
export class SmtpTelemetry {
  private resolved: TelemetryScope | null | undefined;

  constructor(private readonly tenantAttribute: boolean) {}

  /** The tracer and meter to report through; `null` when neither is registered. */
  scope(): TelemetryScope | null {
    if (this.resolved === undefined) {
      const otel = registeredOtel();
      this.resolved = otel ? new TelemetryScope(otel, this.tenantAttribute) : null;
    }
    return this.resolved;
  }

  /** A send through the live transport: the outbox attempt's probe, or a direct send's. */
  sending(tenant: string, data: object): SendProbe | undefined {
    const key = (data as Record<string, unknown>)[ATTEMPT_PROBE];
    if (typeof key === 'string') return attempts.get(key);
    const scope = this.scope();
    return scope ? new DirectSend(scope, tenant) : undefined;
  }

  enqueue<T>(tenant: string, work: (probe?: EnqueueProbe) => Promise<T>): Promise<T> {
    const scope = this.scope();
    return scope ? traceEnqueue(scope, tenant, work) : work(undefined);
  }

  /** An outbox attempt; `work` hands `key` to the transport in the message's `ATTEMPT_PROBE`. */
  attempt<T>(
    job: AttemptJob,
    work: (key?: string) => Promise<T>,
    verdictOf: (error: unknown) => AttemptVerdict,
  ): Promise<T> {
    const scope = this.scope();
    if (!scope) return work(undefined);
    const key = String(++lastAttempt);
    return traceAttempt(
      scope,
      job,
      (probe) => {
        attempts.set(key, probe);
        return work(key);
      },
      verdictOf,
    ).finally(() => attempts.delete(key));
  }

  tokens(provider: string): TokenProbe {
    return tokenProbe(() => this.scope(), provider);
  }

  verify<R extends CheckResult>(
    tenant: string,
    connection: 'main' | 'backup',
    work: () => Promise<R>,
  ): Promise<R> {
    const scope = this.scope();
    return scope ? traceCheck(scope, SPAN.verify, tenant, connection, work) : work();
  }

  testEmail<R extends CheckResult>(
    tenant: string,
    connection: 'main' | 'backup',
    work: () => Promise<R>,
  ): Promise<R> {
    const scope = this.scope();
    return scope ? traceCheck(scope, SPAN.testEmail, tenant, connection, work) : work();
  }

  /** A tenant's settings of one connection saved or reset here (not another replica's change). */
  settingsChanged(connection: 'main' | 'backup', tenant: string): void {
    const scope = this.scope();
    scope?.instruments?.settingsChanges.add(1, scope.metric(tenant, { [ATTR.kind]: connection }));
  }

  /**
   * The gauges of an outbox on `backend`, its `queue` named so that two outboxes of one queue count
   * it once; `undefined` without a meter. Closed at the outbox's shutdown.
   */
  outboxGauges(backend: 'redis' | 'postgres', queue: string): OutboxGauges | undefined {
    const scope = this.scope();
    const instruments = scope?.instruments;
    return instruments ? new OutboxGauges(scope, backend, queue, instruments) : undefined;
  }
}

const byOptions = new WeakMap<object, SmtpTelemetry>();

/** The telemetry of a module's options: one per options object, whoever asks. */
export function smtpTelemetry(options: SmtpSettingsModuleOptions): SmtpTelemetry {
  let telemetry = byOptions.get(options);
  if (!telemetry) {
    telemetry = new SmtpTelemetry(resolveTelemetryOptions(options).tenantAttribute);
    byOptions.set(options, telemetry);
  }
  return telemetry;
}

/** Runs `work` in the probe's span (when there is one). */
export function within<T>(probe: SendProbe | undefined, work: () => Promise<T>): Promise<T> {
  return probe ? probe.run(work) : work();
}
