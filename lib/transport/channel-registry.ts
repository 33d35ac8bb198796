import type { SmtpSettings } from '../interfaces/smtp-settings.types';
import { ChannelSlots } from './channel-slots';
import type { SmtpChannel } from './smtp-channel';

/** The channel a tenant's message takes, and the tenant's settings version it stands for. */
export interface TenantRoute {
  channel: SmtpChannel;
  /** The tenant's version: the shared relay channel stands for many tenants' versions. */
  version: number;
}

/** Where the registry gets settings and channels from. */
export interface ChannelSource {
  /** The tenant's settings with their secret; `null` settings mean the relay. */
  settingsOf(tenant: string): Promise<{ version: number; settings: SmtpSettings | null }>;
  custom(tenant: string, version: number, settings: SmtpSettings): SmtpChannel;
  /** The relay's channel; throws `ChannelMissingError` when there is no relay. */
  relay(): SmtpChannel;
}

export interface ChannelLimits {
  /** Custom pools open at once, closing ones included. */
  maxOpen: number;
  /** A custom pool that sent nothing for this long closes. */
  idleTimeoutMs: number;
}

/** One tenant's custom channel, from the first message that needed it until it is retired. */
interface Entry {
  ready: Promise<TenantRoute>;
  /** What `ready` resolved to, for the messages after the first, which then need no await. */
  route?: TenantRoute;
  channel?: SmtpChannel;
  /** A change of the tenant's settings came while the channel was being built. */
  stale: boolean;
  lastUsed: number;
  timer?: NodeJS.Timeout;
}

/** setTimeout's longest delay; a longer idle timeout means "never". */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One custom channel per tenant, built on the tenant's first message and retired when that
 * tenant's settings change, when it was idle too long, or when other tenants need its slot (least
 * recently used first). Tenants without settings share one relay channel. A retired channel takes
 * no new message and closes once its last one is done; a tenant's change touches no other tenant.
 */
export class ChannelRegistry {
  /** In the order of last use, least recent first. */
  private readonly entries = new Map<string, Entry>();
  /** Retired channels still finishing their messages; each still holds its slot. */
  private readonly closing = new Set<SmtpChannel>();
  private readonly slots: ChannelSlots;
  private relayChannel?: SmtpChannel;
  /** The tenant put last in `entries`: while it is still there, it is still last. */
  private latest: string | undefined;

  constructor(
    private readonly source: ChannelSource,
    private readonly limits: ChannelLimits,
    /** Aborted at shutdown: waits end, and nothing is built again. */
    private readonly signal: AbortSignal,
  ) {
    this.slots = new ChannelSlots(Math.max(1, limits.maxOpen));
  }

  /**
   * Runs `work` with the tenant's channel held for all of it, so that no retirement closes the
   * pool under a message. A channel that closed before it could be held is looked up again.
   */
  async hold<T>(tenant: string, work: (route: TenantRoute) => Promise<T>): Promise<T> {
    for (;;) {
      this.signal.throwIfAborted();
      const next = this.route(tenant);
      const route = next instanceof Promise ? await next : next;
      // Nothing awaits between this check and hold(): the channel cannot close in between.
      if (route.channel.closed) continue;
      return route.channel.hold(
        () => work(route),
        () => this.touched(tenant, route.channel),
      );
    }
  }

  /** The tenant's settings changed: its channel retires; other tenants' channels stay. */
  retire(tenant: string): void {
    const entry = this.entries.get(tenant);
    if (!entry) return;
    this.entries.delete(tenant);
    entry.stale = true;
    clearTimeout(entry.timer);
    if (entry.channel) this.retireChannel(entry.channel);
  }

  /** At shutdown: every channel finishes what it holds and closes. */
  retireAll(): void {
    for (const tenant of this.entries.keys()) this.retire(tenant);
    this.relayChannel?.retire();
  }

  private route(tenant: string): TenantRoute | Promise<TenantRoute> {
    const found = this.entries.get(tenant);
    if (found) {
      this.touched(tenant, found.channel);
      return found.route ?? found.ready;
    }
    // In the map before the first await, so that concurrent first messages share one build.
    const entry: Entry = { stale: false, lastUsed: Date.now() } as Entry;
    this.entries.set(tenant, entry);
    this.latest = tenant;
    entry.ready = this.build(tenant, entry);
    entry.ready.catch(() => this.forget(tenant, entry));
    return entry.ready;
  }

  private async build(tenant: string, entry: Entry): Promise<TenantRoute> {
    const { version, settings } = await this.source.settingsOf(tenant);
    if (!settings) {
      // Tenants on the relay keep no entry: 10,000 of them cost nothing here.
      this.forget(tenant, entry);
      return { channel: this.relay(), version };
    }
    await this.slots.take(this.signal, () => this.makeRoom());
    let channel: SmtpChannel;
    try {
      channel = this.source.custom(tenant, version, settings);
    } catch (error) {
      this.slots.free();
      throw error;
    }
    channel.onClose(() => {
      this.closing.delete(channel);
      this.slots.free();
    });
    entry.channel = channel;
    if (entry.stale || this.signal.aborted) this.retireChannel(channel);
    else this.armIdleTimer(tenant, entry);
    return (entry.route = { channel, version });
  }

  /**
   * Retires least recently used channels until enough are closing for the builds that wait. Idle
   * ones first: they close at once, while a busy one frees its slot only when its messages are done.
   */
  private makeRoom(): void {
    for (const idleOnly of [true, false]) {
      for (const [tenant, { channel }] of this.entries) {
        if (this.closing.size >= this.slots.waiting) return;
        if (channel && !channel.retired && (!idleOnly || channel.inflight === 0)) {
          this.retire(tenant);
        }
      }
    }
  }

  private relay(): SmtpChannel {
    if (!this.relayChannel || this.relayChannel.closed) this.relayChannel = this.source.relay();
    return this.relayChannel;
  }

  private retireChannel(channel: SmtpChannel): void {
    if (!channel.closed) this.closing.add(channel);
    channel.retire();
  }

  /** Marks the tenant's channel as the most recently used. */
  private touched(tenant: string, channel: SmtpChannel | undefined): void {
    const entry = this.entries.get(tenant);
    if (!entry || (channel && entry.channel !== channel)) return;
    entry.lastUsed = Date.now();
    // Each message touches twice; with one busy tenant it is nearly always last already.
    if (tenant === this.latest) return;
    this.latest = tenant;
    this.entries.delete(tenant);
    this.entries.set(tenant, entry);
  }

  private forget(tenant: string, entry: Entry): void {
    if (this.entries.get(tenant) === entry) this.entries.delete(tenant);
  }

  /** One unref'd timer per channel, re-armed for the rest of the idle time rather than per message. */
  private armIdleTimer(tenant: string, entry: Entry): void {
    const idleMs = this.limits.idleTimeoutMs;
    if (!(idleMs > 0) || idleMs > MAX_TIMER_MS) return;
    const check = () => {
      if (this.entries.get(tenant) !== entry) return;
      const idleFor = Date.now() - entry.lastUsed;
      const busy = entry.channel!.inflight > 0;
      if (!busy && idleFor >= idleMs) return this.retire(tenant);
      // A message in flight ends with a new lastUsed: look again a whole idle time later.
      entry.timer = setTimeout(check, busy ? idleMs : idleMs - idleFor);
      entry.timer.unref();
    };
    entry.timer = setTimeout(check, idleMs);
    entry.timer.unref();
  }
}
