import type { SampleEnv } from '../sample.config';

/** The service name spans and metrics carry when OTEL_SERVICE_NAME is unset. */
export const DEFAULT_SERVICE_NAME = 'nest-smtp-settings-sample';

/**
 * OTEL=1 or any standard OTEL_* variable: the sample app starts the OpenTelemetry Node SDK before
 * Nest, with a Prometheus exporter at `GET /metrics` and traces to the console or OTLP.
 */
export interface SampleTelemetryConfig {
  /**
   * OTEL_TRACES_EXPORTER (`console`, `otlp` or `none`). Unset: `otlp` when an OTLP endpoint is
   * set, else `console`.
   */
  traces: 'console' | 'otlp' | 'none';
  /**
   * With `otlp`: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or OTEL_EXPORTER_OTLP_ENDPOINT with
   * `/v1/traces` appended (the specification's rule), else the collector on localhost.
   */
  otlpTracesUrl?: string;
  /** OTEL_METRICS_EXPORTER: `prometheus` (the default) serves `GET /metrics`; `none` serves nothing. */
  metrics: 'prometheus' | 'none';
  /** OTEL_SERVICE_NAME, default `nest-smtp-settings-sample`. */
  serviceName: string;
  /** OTEL_TENANT_ATTRIBUTE=1: the module's `telemetry.tenantAttribute`, a label per tenant. */
  tenantAttribute: boolean;
}

const TRUE = ['1', 'true', 'on', 'yes'];
const FALSE = ['0', 'false', 'off', 'no'];
const TRACE_EXPORTERS = ['console', 'otlp', 'none'] as const;
const METRIC_EXPORTERS = ['prometheus', 'none'] as const;
const LOCAL_COLLECTOR = 'http://localhost:4318/v1/traces';

/**
 * `undefined` while telemetry is off: OTEL unset (or 0/false/off) with no other OTEL_* variable,
 * or OTEL_SDK_DISABLED=true as the specification says. Problems name the variable.
 */
export function parseTelemetry(
  env: SampleEnv,
  problems: string[],
): SampleTelemetryConfig | undefined {
  const value = (name: string): string | undefined => env[name]?.trim() || undefined;
  const flag = (name: string): boolean | undefined => {
    const raw = value(name);
    if (raw === undefined) return undefined;
    if (TRUE.includes(raw.toLowerCase())) return true;
    if (FALSE.includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be 1 or 0 (or true/false, on/off; got "${raw}")`);
    return undefined;
  };

  const asked = flag('OTEL');
  const disabled = flag('OTEL_SDK_DISABLED') === true;
  const tenantAttribute = flag('OTEL_TENANT_ATTRIBUTE') ?? false;
  const anyOtelVariable = Object.keys(env).some(
    (name) => name.startsWith('OTEL_') && value(name) !== undefined,
  );
  if (disabled || asked === false || (asked === undefined && !anyOtelVariable)) return undefined;

  const endpoint = url('OTEL_EXPORTER_OTLP_ENDPOINT', value, problems);
  const tracesEndpoint = url('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', value, problems);
  const traces =
    oneOf('OTEL_TRACES_EXPORTER', TRACE_EXPORTERS, value, problems) ??
    (endpoint || tracesEndpoint ? 'otlp' : 'console');
  return {
    traces,
    ...(traces === 'otlp'
      ? {
          otlpTracesUrl:
            tracesEndpoint ??
            (endpoint ? `${endpoint.replace(/\/+$/, '')}/v1/traces` : LOCAL_COLLECTOR),
        }
      : {}),
    metrics: oneOf('OTEL_METRICS_EXPORTER', METRIC_EXPORTERS, value, problems) ?? 'prometheus',
    serviceName: value('OTEL_SERVICE_NAME') ?? DEFAULT_SERVICE_NAME,
    tenantAttribute,
  };
}

function oneOf<T extends string>(
  name: string,
  allowed: readonly T[],
  value: (name: string) => string | undefined,
  problems: string[],
): T | undefined {
  const raw = value(name)?.toLowerCase();
  if (raw === undefined) return undefined;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  problems.push(
    `${name} must be ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)} in the sample app (got "${value(name)}")`,
  );
  return undefined;
}

function url(
  name: string,
  value: (name: string) => string | undefined,
  problems: string[],
): string | undefined {
  const raw = value(name);
  if (raw !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/i.test(raw)) {
    problems.push(`${name} must be an http:// or https:// URL such as http://localhost:4318`);
    return undefined;
  }
  return raw;
}
