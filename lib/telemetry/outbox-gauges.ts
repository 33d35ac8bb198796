import type { Attributes, ObservableResult } from '@opentelemetry/api';
import type { Instruments } from './telemetry-instruments';
import { ATTR } from './telemetry-names';
import type { TelemetryScope } from './telemetry-scope';

/** One tenant's waiting mail, as the outbox's backlog check read it from the send log. */
export interface TenantBacklog {
  tenant: string;
  /** Queued, sending and held. */
  waiting: number;
  /** Epoch milliseconds of the oldest waiting message; `null` when none waits. */
  oldestWaitingAt: number | null;
}

interface Reading extends TenantBacklog {
  backend: 'redis' | 'postgres';
  /** `telemetry.tenantAttribute` of the module that read it. */
  byTenant: boolean;
}

/**
 * The gauges `smtp_settings.outbox.waiting` and `smtp_settings.outbox.oldest_waiting_age`, per
 * backend (and tenant, when chosen). A collection reports what the backlog checks last read and
 * costs the store nothing: each check reads the summaries of its tenants every
 * `min(60 s, alerts.oldestWaitingMs / 2)` anyway. So a figure is that old at most, and covers the
 * tenants this replica enqueued or delivered for: with replicas, take the maximum over them, not
 * the sum. One set of callbacks per meter, fed by every outbox of the process, each queue's tenant
 * counted once however many outboxes of the process read it.
 */
class GaugeHub {
  /** By queue and tenant. */
  readonly readings = new Map<string, Reading>();

  constructor(instruments: Instruments) {
    instruments.waiting.addCallback((result) => this.observe(result, (r) => r.waiting, sum));
    instruments.oldestWaitingAge.addCallback((result) => {
      const now = Date.now();
      const ageOf = (r: Reading) =>
        r.oldestWaitingAt === null ? 0 : Math.max(0, now - r.oldestWaitingAt) / 1000;
      this.observe(result, ageOf, Math.max);
    });
  }

  private observe(
    result: ObservableResult,
    valueOf: (reading: Reading) => number,
    merge: (a: number, b: number) => number,
  ): void {
    const points = new Map<string, { attributes: Attributes; value: number }>();
    // Every backend in use is reported, 0 when nothing waits.
    for (const backend of this.backends)
      points.set(backend, { attributes: { [ATTR.backend]: backend }, value: 0 });
    for (const reading of this.readings.values()) {
      const key = reading.byTenant ? `${reading.backend} ${reading.tenant}` : reading.backend;
      const attributes = reading.byTenant
        ? { [ATTR.backend]: reading.backend, [ATTR.tenant]: reading.tenant }
        : { [ATTR.backend]: reading.backend };
      const point = points.get(key);
      const value = valueOf(reading);
      points.set(key, { attributes, value: point ? merge(point.value, value) : value });
    }
    for (const { attributes, value } of points.values()) result.observe(value, attributes);
  }

  /** The backends of the outboxes open now. */
  readonly backends = new Set<'redis' | 'postgres'>();
}

const sum = (a: number, b: number) => a + b;
const hubs = new WeakMap<Instruments, GaugeHub>();

/** What one outbox feeds the gauges: its queue's tenants, as its backlog check reads them. */
export class OutboxGauges {
  private readonly hub: GaugeHub;
  private readonly mine = new Set<string>();

  constructor(
    private readonly scope: TelemetryScope,
    private readonly backend: 'redis' | 'postgres',
    /** The queue (backend, prefix, name): outboxes of one queue share its readings. */
    private readonly queue: string,
    instruments: Instruments,
  ) {
    let hub = hubs.get(instruments);
    if (!hub) hubs.set(instruments, (hub = new GaugeHub(instruments)));
    this.hub = hub;
    hub.backends.add(backend);
  }

  /** What the backlog check read of one tenant. */
  saw(backlog: TenantBacklog): void {
    const key = `${this.queue} ${backlog.tenant}`;
    if (backlog.waiting === 0) {
      this.hub.readings.delete(key);
      return;
    }
    const byTenant = this.scope.tenantAttribute;
    this.hub.readings.set(key, { ...backlog, backend: this.backend, byTenant });
    this.mine.add(key);
  }

  close(): void {
    for (const key of this.mine) this.hub.readings.delete(key);
    this.mine.clear();
  }
}
