import { trustedCas } from '../../options/trusted-cas';
import type { ConfidentialClientApplication } from '@azure/msal-node';
import type { SmtpSettingsModuleOptions } from '../../options/smtp-settings-options.interface';
import type { MicrosoftBearerSettings } from '../../interfaces/smtp-settings.types';
import { readCertificate } from '../../crypto/x509-certificate';
import { authorityMetadata } from './authority-metadata';
import { toMicrosoftTokenError } from './entra-errors';
import { HttpsNetworkClient } from './https-network-client';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../../options/smtp-settings.defaults';
import { TokenRequestFailedError } from '../../errors/token-request-failed.error';
import { requireOptional } from '../../internal/optional-require';
import { LeasedTokenCache, type TokenCacheEntry } from '../oauth/leased-token-cache';
import type { AccessToken, TokenLease, TokenSource } from '../oauth/access-token';
import { smtpTelemetry } from '../../telemetry/smtp-telemetry';

/** What a token request needs: the MSAL client and the scope. */
interface Client {
  /** The MSAL client of the next request: one for a client secret, a new one for a certificate. */
  app: () => ConfidentialClientApplication;
  /** SMTP's scope, or Graph's. */
  scope: string;
}

/**
 * Client-credentials tokens for Microsoft 365, for one scope: SMTP's (XOAUTH2) or Graph's, one
 * provider each. One MSAL client per tenant and settings version, kept while a channel sends with
 * it; concurrent connections share one request, and the endpoint is asked again only near expiry or
 * when the server refused the newest token.
 */
export class MicrosoftTokenProvider {
  private readonly clients: LeasedTokenCache<Client, AccessToken>;

  /**
   * `scope`: what its tokens are for (`https://outlook.office365.com/.default` for SMTP);
   * `provider`: whose they are, as telemetry names it (`microsoft`, `microsoft-graph`).
   */
  constructor(
    private readonly options: SmtpSettingsModuleOptions,
    private readonly scope: string,
    provider = 'microsoft',
  ) {
    this.clients = new LeasedTokenCache<Client, AccessToken>(
      ({ app, scope }) => this.request(app, scope),
      smtpTelemetry(options).tokens(provider),
    );
  }

  /** Clients held now, one per tenant and settings version with an open channel. */
  get size(): number {
    return this.clients.size;
  }

  /**
   * A token for the tenant's settings of `version`. `renew`: the server refused `rejected` (or
   * the current token, when unknown); a token that already replaced it is the answer. Without a
   * lease for that tenant and version, the client serves this one call only.
   */
  token(
    tenant: string,
    version: number,
    settings: MicrosoftBearerSettings,
    renew = false,
    rejected?: string,
  ): Promise<AccessToken> {
    const client = this.clients.find(tenant, version) ?? this.newClient(settings);
    return this.clients.tokens(client, renew, rejected);
  }

  /** The tokens of the tenant's saved settings of `version`, for the channel that sends with them. */
  lease(tenant: string, version: number, settings: MicrosoftBearerSettings): TokenLease {
    const { release } = this.clients.lease(tenant, version, () => this.clientFor(settings));
    return {
      tokens: (renew, rejected) => this.token(tenant, version, settings, renew, rejected),
      release,
    };
  }

  /**
   * Tokens for an admin check (verify, test-email): a client of its own, cached nowhere else, so a
   * new client secret is tried for real. Its first token is kept for the check's connection.
   */
  oneOffTokens(settings: MicrosoftBearerSettings): TokenSource {
    let token: Promise<AccessToken> | undefined;
    return (renew) =>
      (!renew && token) || (token = this.clients.tokens(this.newClient(settings), true));
  }

  private newClient(settings: MicrosoftBearerSettings): TokenCacheEntry<Client, AccessToken> {
    return this.clients.entry(this.clientFor(settings));
  }

  /**
   * MSAL signs a certificate's client assertion once and sends it again for 10 minutes; a client
   * per request signs each one anew, with a fresh `jti`, which Entra ID may require. Requests are
   * few either way: one per token lifetime, and one per refused token.
   */
  private clientFor(settings: MicrosoftBearerSettings): Client {
    const scope = this.scope;
    if (settings.clientCertificate) return { app: () => this.createClient(settings), scope };
    const app = this.createClient(settings);
    return { app: () => app, scope };
  }

  /**
   * Always from the endpoint: this provider's own cache decides when a token is due. The request
   * skips MSAL's cache, so what it brings is never the token that was refused.
   */
  private async request(
    app: () => ConfidentialClientApplication,
    scope: string,
  ): Promise<AccessToken> {
    const client = app();
    let result;
    try {
      result = await client.acquireTokenByClientCredential({ scopes: [scope], skipCache: true });
    } catch (error) {
      throw toMicrosoftTokenError(error);
    }
    if (!result?.accessToken) {
      throw new TokenRequestFailedError(
        'TOKEN_REQUEST_FAILED',
        'Microsoft Entra ID answered without an access token',
      );
    }
    return {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn?.getTime() ?? Date.now() + 60_000,
    };
  }

  private createClient(settings: MicrosoftBearerSettings): ConfidentialClientApplication {
    const msal = loadMsal();
    const host = (
      this.options.microsoft?.authorityHost ?? SMTP_SETTINGS_OPTION_DEFAULTS.microsoft.authorityHost
    ).replace(/\/+$/, '');
    const ca = trustedCas(this.options.tls);
    return new msal.ConfidentialClientApplication({
      auth: {
        clientId: settings.clientId,
        ...credentialOf(settings),
        authority: `${host}/${settings.tenantId}`,
        knownAuthorities: [new URL(host).host],
        authorityMetadata: authorityMetadata(host, settings.tenantId),
      },
      system: {
        ...(ca ? { networkClient: new HttpsNetworkClient(ca) } : {}),
        // MSAL's logs may carry request details; this module reports failures itself.
        loggerOptions: { piiLoggingEnabled: false, loggerCallback: () => undefined },
      },
    });
  }
}

/**
 * The app's credential as MSAL takes it: the client secret, or the certificate (its SHA-256
 * thumbprint, its key, and the certificate itself as `x5c`, so that Entra ID can accept a renewed
 * certificate of the same subject and issuer).
 */
function credentialOf(settings: MicrosoftBearerSettings) {
  const certificate = settings.clientCertificate;
  if (!certificate) return { clientSecret: settings.clientSecret };
  return {
    clientCertificate: {
      thumbprintSha256: readCertificate(certificate.certificate).thumbprintSha256,
      privateKey: certificate.privateKey,
      x5c: certificate.certificate,
    },
  };
}

/** `@azure/msal-node` is needed only for Bearer settings, so it is an optional peer dependency. */
function loadMsal(): typeof import('@azure/msal-node') {
  return requireOptional(
    '@azure/msal-node',
    'Bearer authentication',
    (message) => new TokenRequestFailedError('MSAL_MISSING', message),
  );
}
