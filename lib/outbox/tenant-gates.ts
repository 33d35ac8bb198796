import type { OutboxWaitingState } from '../interfaces/outbox.interface';

/** Why a tenant's mail waits, and when its probe is tried next. */
export interface TenantGate {
  /** `held`: the configuration cannot send; `deferred`: the provider asked for a pause. */
  kind: 'held' | 'deferred';
  /** The failure in the admin's words, never a secret. */
  reason: string;
  /** When the probe is tried next (epoch ms). */
  until: number;
  /** The job whose attempts probe the route; the tenant's other messages wait for it. */
  probe: string;
}

/**
 * The tenants of this worker whose mail waits behind one probe: a held tenant's provider sees one
 * sign-in per recheck, not one per message, and a provider that asked for a pause is asked again
 * once, when it said. Each replica keeps its own (a replica that has not failed yet probes once
 * itself): at most one probe per replica per recheck. The gates only spare attempts; what waits is
 * in the store, so a replica that stops loses nothing.
 */
export class TenantGates {
  private readonly gates = new Map<string, TenantGate>();

  /**
   * @param takeoverMs how long after its time a probe that has not come back is taken for lost
   *   (its job removed): the next message of the tenant probes instead.
   */
  constructor(private readonly takeoverMs: number) {}

  close(tenant: string, gate: TenantGate): void {
    this.gates.set(tenant, gate);
  }

  /** Opens the tenant's gate; whether it had one. */
  open(tenant: string): boolean {
    return this.gates.delete(tenant);
  }

  get(tenant: string): TenantGate | undefined {
    return this.gates.get(tenant);
  }

  /** The tenant's gate as the outbox summary shows it. */
  state(tenant: string): OutboxWaitingState | null {
    const gate = this.gates.get(tenant);
    if (!gate) return null;
    return {
      kind: gate.kind,
      reason: gate.reason,
      nextAttemptAt: new Date(gate.until).toISOString(),
    };
  }

  /** The gate job `id` waits behind; none when it may be attempted. */
  waitFor(tenant: string, id: string, now: number): TenantGate | null {
    const gate = this.gates.get(tenant);
    if (!gate || gate.probe === id) return null;
    if (now < gate.until + this.takeoverMs) return gate;
    gate.probe = id;
    return null;
  }
}
