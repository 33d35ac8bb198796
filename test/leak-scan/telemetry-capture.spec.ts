import { metrics, trace } from '@opentelemetry/api';
import { OtelKit } from '../fixtures/otel-kit';
import { captureTelemetry } from './telemetry-capture';

describe('captureTelemetry', () => {
  const restore: Array<() => void> = [];
  const recorded: Array<[string, string]> = [];
  let kit: OtelKit;

  beforeAll(() => {
    captureTelemetry(
      (target, key, make) => {
        const original = target[key];
        target[key] = make(original);
        restore.push(() => (target[key] = original));
      },
      (where, value) => recorded.push([where, JSON.stringify(value)]),
    );
    kit = OtelKit.register();
  });
  afterAll(async () => {
    await kit.close();
    for (const undo of restore.reverse()) undo();
  });

  it('records every span attribute, event and link as the span ends, and every metric attribute', async () => {
    const span = trace.getTracer('t').startSpan('s', {
      attributes: { a: 'span-attribute' },
      links: [
        { context: trace.getTracer('t').startSpan('x').spanContext(), attributes: { l: 'link' } },
      ],
    });
    span.addEvent('e', { b: 'event-attribute' });
    span.end();
    const meter = metrics.getMeter('m');
    meter.createCounter('c').add(1, { c: 'counter-attribute' });
    meter.createHistogram('h').record(1, { h: 'histogram-attribute' });
    meter
      .createObservableGauge('g')
      .addCallback((result) => result.observe(1, { g: 'gauge-attribute' }));
    await kit.metrics();

    const text = recorded.map(([where, value]) => `${where} ${value}`).join('\n');
    for (const expected of [
      'span s',
      'span-attribute',
      'event-attribute',
      'link',
      'metric c',
      'counter-attribute',
      'histogram-attribute',
      'metric g',
      'gauge-attribute',
    ]) {
      expect(text).toContain(expected);
    }
    // What the SDK exports is unchanged by the capture.
    expect(kit.spans('s')[0]!.attributes).toEqual({ a: 'span-attribute' });
    expect(await kit.total('c')).toBe(1);
  });
});
