import { KeyedLeases } from '../../internal/keyed-leases';
import type { TokenProbe } from '../../telemetry/token-probe';
import type { AccessToken } from './access-token';

/** A token is renewed this long before it expires: 5 minutes, or a tenth of a short lifetime. */
const RENEWAL_MARGIN_MS = 5 * 60_000;

/** One client's cache: what the request needs, its newest token and the request under way. */
export interface TokenCacheEntry<C, T extends AccessToken> {
  context: C;
  token?: T & { obtainedAt: number };
  pending?: Promise<T>;
}

/**
 * Token caches keyed by tenant and settings version, each kept while a channel holds a lease on
 * it. Concurrent callers share one request, and a new token is asked for only near expiry or when
 * the server refused the newest one.
 */
export class LeasedTokenCache<C, T extends AccessToken> {
  /** Dropped as soon as no channel sends with it. */
  private readonly entries = new KeyedLeases<TokenCacheEntry<C, T>>();

  constructor(
    private readonly request: (context: C) => Promise<T>,
    /** Telemetry: an `oauth.token` span and a count per token asked for, cached or not. */
    private readonly probe?: TokenProbe,
  ) {}

  /** Entries held now, one per tenant and settings version with an open channel. */
  get size(): number {
    return this.entries.size;
  }

  /** The leased entry of the tenant's settings of `version`, if a channel holds one. */
  find(tenant: string, version: number): TokenCacheEntry<C, T> | undefined {
    return this.entries.get(keyOf(tenant, version));
  }

  /** An entry held by no lease: it serves whoever keeps it, and is cached nowhere. */
  entry(context: C): TokenCacheEntry<C, T> {
    return { context };
  }

  /**
   * Takes a channel on the entry of the tenant's settings of `version`, made with `create` when
   * none is held. `release` gives the channel back; the entry goes when no channel needs it.
   */
  lease(
    tenant: string,
    version: number,
    create: () => C,
  ): { entry: TokenCacheEntry<C, T>; release: () => void } {
    const lease = this.entries.lease(keyOf(tenant, version), () => this.entry(create()));
    return { entry: lease.value, release: lease.release };
  }

  /**
   * The entry's token. `renew`: the server refused `rejected` (the newest token when unknown); a
   * fresh token that already replaced it is the answer.
   */
  tokens(entry: TokenCacheEntry<C, T>, renew: boolean, rejected?: string): Promise<T> {
    const token = entry.token;
    const fresh = token !== undefined && Date.now() < token.expiresOn - margin(token);
    if (fresh && (!renew || (rejected !== undefined && token.accessToken !== rejected))) {
      this.probe?.cached();
      return Promise.resolve(token);
    }
    // Every caller that needs a new token now shares one request, renewals included.
    if (entry.pending) return entry.pending;
    const request = () => this.request(entry.context);
    const pending = (this.probe ? this.probe.request(request) : request()).then((issued) => {
      entry.token = { ...issued, obtainedAt: Date.now() };
      return issued;
    });
    entry.pending = pending;
    const clear = () => {
      if (entry.pending === pending) entry.pending = undefined;
    };
    pending.then(clear, clear);
    return pending;
  }
}

function keyOf(tenant: string, version: number): string {
  // A tenant id never holds a space, so the key cannot be confused with another tenant's.
  return `${tenant} ${version}`;
}

function margin(token: AccessToken & { obtainedAt: number }): number {
  return Math.min(RENEWAL_MARGIN_MS, (token.expiresOn - token.obtainedAt) / 10);
}
