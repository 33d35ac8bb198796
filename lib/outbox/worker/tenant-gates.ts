import type { OutboxError, OutboxWaitingState } from '../../interfaces/outbox.interface';

/** Why a tenant's mail waits, and when its probe is tried next. */
export interface TenantGate {
  /**
   * `held`: the configuration cannot send; `deferred`: the provider asked for a pause;
   * `retrying`: the server cannot be reached or did not finish, tried again with backoff.
   */
  kind: OutboxWaitingState['kind'];
  /** The failure in the admin's words, never a secret. */
  reason: string;
  /** When the probe is tried next (epoch ms). */
  until: number;
  /** The job whose attempts probe the route; the tenant's other messages wait for it. */
  probe: string;
  /** The probe's failure, for followers whose retry window closes while they wait. */
  error?: OutboxError;
  /** The jobs of this replica waiting behind the probe, made due when it goes. */
  followers?: Set<string>;
}

/**
 * The tenants of this worker whose mail waits behind one probe: a held tenant's provider sees one
 * sign-in per recheck, not one per message, a provider that asked for a pause is asked again
 * once, when it said, and a server that is down or stalls is tried by one message at a time.
 * Each replica keeps its own (a replica that has not failed yet probes once itself): at most one
 * probe per replica per recheck. The gates only spare attempts; what waits is in the store, so a
 * replica that stops loses nothing.
 */
export class TenantGates {
  private readonly gates = new Map<string, TenantGate>();

  /**
   * @param takeoverMs how long after its time a probe that has not come back is taken for lost
   *   (its job removed, or taken by another replica): the next message of the tenant probes instead.
   * @param retryTakeoverMs the same for a `retrying` probe, which comes up within its backoff: an
   *   attempt's deadline and a margin.
   */
  constructor(
    private readonly takeoverMs: number,
    private readonly retryTakeoverMs = takeoverMs,
  ) {}

  close(tenant: string, gate: TenantGate): void {
    const followers = this.gates.get(tenant)?.followers;
    this.gates.set(tenant, { ...gate, followers: gate.followers ?? followers });
  }

  /** Opens the tenant's gate; the gate it had, if any. */
  open(tenant: string): TenantGate | undefined {
    const gate = this.gates.get(tenant);
    this.gates.delete(tenant);
    return gate;
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
    if (now < this.wakeOf(gate)) return gate;
    gate.probe = id;
    gate.followers?.delete(id);
    return null;
  }

  /** When a follower waiting behind `gate` looks again, in case its probe was lost. */
  wakeOf(gate: TenantGate): number {
    return gate.until + (gate.kind === 'retrying' ? this.retryTakeoverMs : this.takeoverMs);
  }
}

/** A `retrying` gate's probe and this replica's followers: not held, so a release names them. */
export function retryingIds(gate: TenantGate | undefined): string[] {
  return gate?.kind === 'retrying' ? [gate.probe, ...(gate.followers ?? [])] : [];
}
