import { parseSampleEnv } from '../sample.config';
import { parseTelemetry, type SampleTelemetryConfig } from './telemetry.config';

function parse(env: Record<string, string>): {
  config: SampleTelemetryConfig | undefined;
  problems: string[];
} {
  const problems: string[] = [];
  return { config: parseTelemetry(env, problems), problems };
}

describe('The sample app’s telemetry variables', () => {
  it('stays off without OTEL and without any OTEL_* variable', () => {
    expect(parse({ PORT: '3000' })).toEqual({ config: undefined, problems: [] });
    expect(parse({ OTEL_SERVICE_NAME: '' })).toEqual({ config: undefined, problems: [] });
  });

  it('turns on with OTEL=1: traces to the console and Prometheus metrics by default', () => {
    expect(parse({ OTEL: '1' })).toEqual({
      config: {
        traces: 'console',
        metrics: 'prometheus',
        serviceName: 'nest-smtp-settings-sample',
        tenantAttribute: false,
      },
      problems: [],
    });
    expect(parse({ OTEL: 'true' }).config?.traces).toBe('console');
  });

  it('turns on with any standard OTEL_* variable, and sends traces to OTLP when an endpoint is set', () => {
    expect(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).config).toMatchObject({
      traces: 'otlp',
      otlpTracesUrl: 'http://collector:4318/v1/traces',
    });
    expect(
      parse({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otlp.example/v1/traces' }).config,
    ).toMatchObject({ traces: 'otlp', otlpTracesUrl: 'https://otlp.example/v1/traces' });
    expect(parse({ OTEL_TRACES_EXPORTER: 'otlp' }).config).toMatchObject({
      otlpTracesUrl: 'http://localhost:4318/v1/traces',
    });
    expect(parse({ OTEL_SERVICE_NAME: 'mailer' }).config?.serviceName).toBe('mailer');
  });

  it('lets OTEL_TRACES_EXPORTER win over the endpoint, and OTEL_METRICS_EXPORTER=none drop /metrics', () => {
    expect(
      parse({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_TRACES_EXPORTER: 'console',
      }).config,
    ).toMatchObject({ traces: 'console' });
    expect(parse({ OTEL: '1', OTEL_TRACES_EXPORTER: 'NONE' }).config?.traces).toBe('none');
    expect(parse({ OTEL: '1', OTEL_METRICS_EXPORTER: 'none' }).config?.metrics).toBe('none');
  });

  it('keeps it off with OTEL=0 or OTEL_SDK_DISABLED=true, whatever else is set', () => {
    expect(
      parse({ OTEL: '0', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).config,
    ).toBeUndefined();
    expect(parse({ OTEL: '1', OTEL_SDK_DISABLED: 'true' }).config).toBeUndefined();
  });

  it('adds the tenant attribute only with OTEL_TENANT_ATTRIBUTE=1', () => {
    expect(parse({ OTEL: '1', OTEL_TENANT_ATTRIBUTE: '1' }).config?.tenantAttribute).toBe(true);
    expect(parse({ OTEL: '1', OTEL_TENANT_ATTRIBUTE: 'off' }).config?.tenantAttribute).toBe(false);
  });

  it('refuses what it cannot do, naming the variable', () => {
    expect(parse({ OTEL: 'maybe' }).problems).toEqual([
      'OTEL must be 1 or 0 (or true/false, on/off; got "maybe")',
    ]);
    expect(parse({ OTEL: '1', OTEL_TRACES_EXPORTER: 'zipkin' }).problems).toEqual([
      'OTEL_TRACES_EXPORTER must be console, otlp or none in the sample app (got "zipkin")',
    ]);
    expect(parse({ OTEL: '1', OTEL_METRICS_EXPORTER: 'otlp' }).problems).toEqual([
      'OTEL_METRICS_EXPORTER must be prometheus or none in the sample app (got "otlp")',
    ]);
    expect(parse({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).problems).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL such as http://localhost:4318',
    ]);
    expect(parse({ OTEL: '1', OTEL_TENANT_ATTRIBUTE: 'tenant' }).problems).toEqual([
      'OTEL_TENANT_ATTRIBUTE must be 1 or 0 (or true/false, on/off; got "tenant")',
    ]);
  });

  it('is part of the sample config, whose start fails with every problem at once', () => {
    expect(parseSampleEnv({ ADMIN_TOKEN: 't', OTEL: '1' }).telemetry?.metrics).toBe('prometheus');
    expect(parseSampleEnv({ ADMIN_TOKEN: 't' }).telemetry).toBeUndefined();
    expect(() => parseSampleEnv({ PORT: 'x', OTEL_TRACES_EXPORTER: 'jaeger' })).toThrow(
      /PORT must be a port number[\s\S]*OTEL_TRACES_EXPORTER must be console, otlp or none/,
    );
  });
});
