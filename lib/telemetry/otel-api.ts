import type * as Api from '@opentelemetry/api';
import { requireIfInstalled } from '../internal/optional-require';
import { PACKAGE_VERSION } from '../internal/package-version';

/*
 * @opentelemetry/api is an optional peer dependency, loaded on first use like pg or bullmq. The
 * module never starts an SDK: it reports to whatever tracer and meter providers the app registered.
 */

export type OtelApi = typeof Api;

/** The name of the module's tracer and meter: the package's. */
export const INSTRUMENTATION_SCOPE = 'nest-smtp-settings';

/** What the app registered: a tracer, a meter, or both; `null` stands for neither. */
export interface Otel {
  readonly api: OtelApi;
  readonly tracer: Api.Tracer | null;
  readonly meter: Api.Meter | null;
}

let api: OtelApi | null | undefined;

/**
 * The app's tracer and meter, or `null` when @opentelemetry/api is not installed or no provider is
 * registered: then the module makes no span, not even a no-op one, and counts nothing. Without a
 * registered tracer provider the API hands out a `ProxyTracer` that stays a no-op; without a meter
 * provider, its one no-op meter.
 */
export function registeredOtel(): Otel | null {
  if (api === undefined) api = requireIfInstalled<OtelApi>('@opentelemetry/api');
  if (!api) return null;
  const tracer = api.trace.getTracer(INSTRUMENTATION_SCOPE, PACKAGE_VERSION);
  const meter = api.metrics.getMeter(INSTRUMENTATION_SCOPE, PACKAGE_VERSION);
  // ProxyTracer is deprecated, but it is the only way the API 1.x tells a registered provider apart.
  const traced = !(tracer instanceof api.ProxyTracer);
  const metered = meter !== api.createNoopMeter();
  if (!traced && !metered) return null;
  return { api, tracer: traced ? tracer : null, meter: metered ? meter : null };
}
