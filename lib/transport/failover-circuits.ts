/** How long a tenant's mail goes straight to the backup after a failover before main is tried again. */
export const FAILOVER_RETRY_MAIN_MS = 60_000;

/** The clock of the circuits, in milliseconds: `Date.now` unless a test provides its own. */
export const FAILOVER_CLOCK = Symbol('SMTP_SETTINGS:FAILOVER_CLOCK');
export type FailoverClock = () => number;

/** A tenant whose main connection failed over: since when, why, and whether a probe is out. */
export interface OpenCircuit {
  since: number;
  /** When main was last tried (the failover, or the last probe). */
  triedAt: number;
  reason: string;
  probing: boolean;
}

/** Which connection a message takes: main, the backup, or main as the probe of an open circuit. */
export type CircuitDecision = 'main' | 'backup' | 'probe';

/**
 * One circuit per tenant. Closed, every message tries main first. After a failover it is open:
 * messages go straight to the backup, and at most once a minute one message tries main again (the
 * probe); when the probe gets through, the circuit closes.
 */
export class FailoverCircuits {
  private readonly open = new Map<string, OpenCircuit>();

  constructor(
    private readonly now: FailoverClock,
    private readonly retryMainMs = FAILOVER_RETRY_MAIN_MS,
  ) {}

  decide(tenant: string): CircuitDecision {
    const circuit = this.open.get(tenant);
    if (!circuit) return 'main';
    if (circuit.probing || this.now() - circuit.triedAt < this.retryMainMs) return 'backup';
    circuit.probing = true;
    return 'probe';
  }

  /** Main failed and the backup took the message; returns whether the circuit was closed before. */
  opened(tenant: string, reason: string): boolean {
    const at = this.now();
    const circuit = this.open.get(tenant);
    this.open.set(tenant, { since: circuit?.since ?? at, triedAt: at, reason, probing: false });
    return circuit === undefined;
  }

  /**
   * A probe that main failed without the backup taking the message (it failed too, or is gone):
   * main was tried now, so the next probe is a minute away.
   */
  probeDone(tenant: string): void {
    const circuit = this.open.get(tenant);
    if (!circuit) return;
    circuit.probing = false;
    circuit.triedAt = this.now();
  }

  /** Main took a message again, or the tenant's settings changed; returns whether it was open. */
  close(tenant: string): boolean {
    return this.open.delete(tenant);
  }

  /** The open circuit of a tenant, and when main will be tried again; `undefined` when closed. */
  stateOf(tenant: string): (OpenCircuit & { retryMainAt: number }) | undefined {
    const circuit = this.open.get(tenant);
    return circuit && { ...circuit, retryMainAt: circuit.triedAt + this.retryMainMs };
  }
}
