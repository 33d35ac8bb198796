import {
  metrics,
  trace,
  type Attributes,
  type Meter,
  type MeterProvider,
  type ObservableCallback,
  type ObservableResult,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

/** Replaces `target[key]` until the file ends (capture.ts's `wrap`). */
type Wrap = <T extends object, K extends keyof T>(
  target: T,
  key: K,
  make: (original: T[K]) => T[K],
) => void;

/** What a span holds once it ended, as the SDK's span keeps it. */
interface EndedSpan {
  name?: string;
  attributes?: Attributes;
  events?: Array<{ name: string; attributes?: Attributes }>;
  links?: Array<{ attributes?: Attributes }>;
  status?: { message?: string };
}

/**
 * Every span attribute, event, link and status message, and every metric attribute, that the
 * module reports to whatever tracer and meter providers a test registers: each provider is wrapped
 * as it is registered, so that every span as it ends and every measurement as it is taken (an
 * observable gauge's too) is recorded, exported or not.
 */
export function captureTelemetry(wrap: Wrap, record: (where: string, value: unknown) => void) {
  wrap(
    trace,
    'setGlobalTracerProvider',
    (set) => (provider: TracerProvider) =>
      set.call(trace, {
        getTracer: (...args: Parameters<TracerProvider['getTracer']>) =>
          recordingTracer(provider.getTracer(...args), record),
      }),
  );
  const meters = new WeakMap<Meter, Meter>();
  wrap(
    metrics,
    'setGlobalMeterProvider',
    (set) => (provider: MeterProvider) =>
      set.call(metrics, {
        getMeter: (...args: Parameters<MeterProvider['getMeter']>) => {
          const meter = provider.getMeter(...args);
          let recording = meters.get(meter);
          if (!recording) meters.set(meter, (recording = recordingMeter(meter, record)));
          return recording;
        },
      }),
  );
}

function recordingTracer(tracer: Tracer, record: (where: string, value: unknown) => void): Tracer {
  return Object.assign(Object.create(tracer) as Tracer, {
    startSpan: (...args: Parameters<Tracer['startSpan']>): Span => {
      const span = tracer.startSpan(...args);
      const end = span.end.bind(span);
      span.end = (time) => {
        end(time);
        const { name, attributes, events, links, status } = span as unknown as EndedSpan;
        record(`span ${name}`, {
          attributes,
          events: events?.map((event) => [event.name, event.attributes]),
          links: links?.map((link) => link.attributes),
          status: status?.message,
        });
      };
      return span;
    },
  });
}

function recordingMeter(meter: Meter, record: (where: string, value: unknown) => void): Meter {
  const measured =
    (name: string, method: 'add' | 'record') =>
    <I extends object>(instrument: I): I =>
      Object.assign(Object.create(instrument) as I, {
        [method]: (value: number, attributes?: Attributes, ...rest: unknown[]) => {
          record(`metric ${name}`, attributes ?? {});
          return (instrument as Record<string, (...a: unknown[]) => unknown>)[method]!.call(
            instrument,
            value,
            attributes,
            ...rest,
          );
        },
      });
  const observed = (name: string) => {
    const wrapped = new WeakMap<ObservableCallback, ObservableCallback>();
    const wrapFor = (callback: ObservableCallback): ObservableCallback => {
      let recording = wrapped.get(callback);
      if (!recording) {
        recording = (result: ObservableResult) =>
          callback({
            observe: (value, attributes) => {
              record(`metric ${name}`, attributes ?? {});
              result.observe(value, attributes);
            },
          });
        wrapped.set(callback, recording);
      }
      return recording;
    };
    return <
      I extends {
        addCallback(cb: ObservableCallback): void;
        removeCallback(cb: ObservableCallback): void;
      },
    >(
      instrument: I,
    ): I =>
      Object.assign(Object.create(instrument) as I, {
        addCallback: (cb: ObservableCallback) => instrument.addCallback(wrapFor(cb)),
        removeCallback: (cb: ObservableCallback) => instrument.removeCallback(wrapFor(cb)),
      });
  };
  return Object.assign(Object.create(meter) as Meter, {
    createCounter: (name: string, options?: object) =>
      measured(name, 'add')(meter.createCounter(name, options)),
    createUpDownCounter: (name: string, options?: object) =>
      measured(name, 'add')(meter.createUpDownCounter(name, options)),
    createHistogram: (name: string, options?: object) =>
      measured(name, 'record')(meter.createHistogram(name, options)),
    createGauge: (name: string, options?: object) =>
      measured(name, 'record')(meter.createGauge(name, options)),
    createObservableGauge: (name: string, options?: object) =>
      observed(name)(meter.createObservableGauge(name, options)),
    createObservableCounter: (name: string, options?: object) =>
      observed(name)(meter.createObservableCounter(name, options)),
    createObservableUpDownCounter: (name: string, options?: object) =>
      observed(name)(meter.createObservableUpDownCounter(name, options)),
  });
}
