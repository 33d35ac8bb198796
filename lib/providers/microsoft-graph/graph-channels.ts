import { createTransport } from 'nodemailer';
import type { MicrosoftGraphSettings } from '../../interfaces/smtp-settings.types';
import type { SmtpSettingsModuleOptions } from '../../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../../options/smtp-settings.defaults';
import { trustedCas } from '../../options/trusted-cas';
import { GraphClient } from './graph-client';
import type { MicrosoftTokenProvider } from '../microsoft-smtp/microsoft-token.provider';
import type { TokenSource } from '../oauth/access-token';
import { resolveAttemptTimeoutMs } from '../../transport/attempt-deadline';
import { formatSender } from '../../transport/sender';
import { SmtpChannel, type ChannelTarget } from '../../transport/smtp-channel';
import { GraphMailTransport } from './graph-mail-transport';
import { KeyedLeases } from '../../internal/keyed-leases';
import { RequestGate } from './request-gate';

/** Microsoft Graph allows 4 concurrent requests per mailbox and app; more are throttled (429). */
export const GRAPH_MAX_CONCURRENT_PER_MAILBOX = 4;
/** How long a send waits on each step of a Graph request, within the attempt's deadline. */
const SEND_TIMEOUT_MS = 120_000;

/**
 * Channels for provider `microsoft-graph`: the same `SmtpChannel` as SMTP settings (the registry
 * retires it on a change, the transport reports it, the channel retries it), whose transporter
 * posts to Microsoft Graph instead of an SMTP pool.
 */
export class GraphChannels {
  /** Per tenant and mailbox, across settings versions and admin checks, while one is held or busy. */
  private readonly gates = new KeyedLeases<RequestGate>((gate) => gate.busy === 0);
  /** The deadline of every send, read from the module's options as the SMTP channels read it. */
  private readonly attemptTimeoutMs: number;

  constructor(
    private readonly options: SmtpSettingsModuleOptions,
    private readonly tokens: MicrosoftTokenProvider,
  ) {
    this.attemptTimeoutMs = resolveAttemptTimeoutMs(options);
  }

  /** Gates held now, one per tenant's mailbox with a channel or a check. */
  get gateCount(): number {
    return this.gates.size;
  }

  get host(): string {
    return (this.options.microsoft?.graphHost ?? DEFAULTS.microsoft.graphHost).replace(/\/+$/, '');
  }

  channel(tenant: string, version: number, settings: MicrosoftGraphSettings): SmtpChannel {
    const tokens = this.tokens.lease(tenant, version, settings);
    const gate = this.gates.lease(gateKey(tenant, settings), newGate);
    let transport: GraphMailTransport;
    try {
      transport = new GraphMailTransport({
        client: this.client(SEND_TIMEOUT_MS),
        mailbox: settings.username,
        tokens: tokens.tokens,
        gate: gate.value,
        attemptTimeoutMs: this.attemptTimeoutMs,
      });
    } catch (error) {
      tokens.release();
      gate.release();
      throw error;
    }
    const channel = new SmtpChannel({
      kind: 'custom',
      version,
      target: this.target(settings),
      transporter: createTransport(transport),
      defaults: { from: formatSender(settings), replyTo: settings.replyTo },
      authType: settings.type,
      tokens: tokens.tokens,
      retry: this.options.retry,
      // Not the channel's `attemptTimeoutMs`: that deadline tells written from not written by the
      // MIME stream, which a Graph request reads whole before it sends a byte. The transport keeps
      // the deadline and judges by its request.
    });
    channel.onClose(() => {
      tokens.release();
      gate.release();
    });
    return channel;
  }

  /**
   * For verify and test-email: one-off tokens and a client of its own, under the mailbox's gate
   * until it is closed.
   */
  adminTransport(
    tenant: string,
    settings: MicrosoftGraphSettings,
    tokens: TokenSource,
    timeoutMs: number,
  ): GraphMailTransport {
    const gate = this.gates.lease(gateKey(tenant, settings), newGate);
    return new GraphMailTransport({
      client: this.client(timeoutMs),
      mailbox: settings.username,
      tokens,
      gate: gate.value,
      onClose: gate.release,
    });
  }

  /** What failures are told against: Graph's host, over HTTPS. */
  target(settings: MicrosoftGraphSettings): ChannelTarget {
    return {
      hostname: new URL(this.host).hostname,
      port: Number(new URL(this.host).port || 443),
      useTls: true,
      tlsMode: 'implicit',
      type: settings.type,
      provider: settings.provider,
      senderEmail: settings.senderEmail,
    };
  }

  private client(timeoutMs: number): GraphClient {
    return new GraphClient({
      host: this.host,
      ca: trustedCas(this.options.tls),
      timeoutMs,
      maxSockets: GRAPH_MAX_CONCURRENT_PER_MAILBOX,
    });
  }
}

/** Keyed by the tenant too, so that a tenant naming another's mailbox cannot take its requests. */
function gateKey(tenant: string, settings: MicrosoftGraphSettings): string {
  return `${tenant} ${`${settings.tenantId}/${settings.username}`.toLowerCase()}`;
}

function newGate(): RequestGate {
  return new RequestGate(GRAPH_MAX_CONCURRENT_PER_MAILBOX);
}
