import type { JWT } from 'google-auth-library';
import type { GoogleSmtpSettings } from '../../interfaces/smtp-settings.types';
import type { SmtpSettingsModuleOptions } from '../../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_OPTION_DEFAULTS as DEFAULTS } from '../../options/smtp-settings.defaults';
import { trustedCas } from '../../options/trusted-cas';
import { TokenRequestFailedError } from '../../errors/token-request-failed.error';
import { requireOptional } from '../../internal/optional-require';
import { LeasedTokenCache } from '../oauth/leased-token-cache';
import type { AccessToken, TokenLease, TokenSource } from '../oauth/access-token';
import { toGoogleTokenError } from './google-token-errors';
import { httpsTokenFetch } from './https-token-fetch';
import { smtpTelemetry } from '../../telemetry/smtp-telemetry';
import type { TokenProbe } from '../../telemetry/token-probe';

/** Gmail's scope for SMTP with XOAUTH2 (IMAP and POP too: Google has no narrower one for SMTP). */
export const GOOGLE_MAIL_SCOPE = 'https://mail.google.com/';

/** Google's token endpoint: what the JWT client asks, and its assertion's audience. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/**
 * Service account tokens for Google Workspace SMTP (XOAUTH2): the JWT bearer grant as the mailbox
 * (domain-wide delegation), with the scope https://mail.google.com/. One cache per tenant and
 * settings version, kept while a channel sends with it; concurrent connections share one request,
 * and Google is asked again only near expiry or when the server refused the newest token.
 */
export class GoogleTokenProvider {
  private readonly clients: LeasedTokenCache<GoogleSmtpSettings, AccessToken>;
  private readonly probe: TokenProbe;

  constructor(private readonly options: SmtpSettingsModuleOptions) {
    this.probe = smtpTelemetry(options).tokens('google');
    this.clients = new LeasedTokenCache((settings) => this.request(settings), this.probe);
  }

  /** Caches held now, one per tenant and settings version with an open channel. */
  get size(): number {
    return this.clients.size;
  }

  /** The tokens of the tenant's saved settings of `version`, for the channel that sends with them. */
  lease(tenant: string, version: number, settings: GoogleSmtpSettings): TokenLease {
    const { entry, release } = this.clients.lease(tenant, version, () => settings);
    return { tokens: (renew, rejected) => this.clients.tokens(entry, renew, rejected), release };
  }

  /** Tokens for an admin check (verify, test-email): always a new one first, cached nowhere else. */
  oneOffTokens(settings: GoogleSmtpSettings): TokenSource {
    let token: Promise<AccessToken> | undefined;
    return (renew) =>
      (!renew && token) || (token = this.probe.request(() => this.request(settings)));
  }

  /** Always from the endpoint: a new JWT client each time, so its own cache never answers. */
  private async request(settings: GoogleSmtpSettings): Promise<AccessToken> {
    let credentials;
    try {
      credentials = await this.createClient(settings).authorize();
    } catch (error) {
      if (error instanceof TokenRequestFailedError) throw error;
      throw toGoogleTokenError(error);
    }
    if (!credentials.access_token) {
      throw new TokenRequestFailedError(
        'TOKEN_REQUEST_FAILED',
        "Google's token endpoint answered without an access token",
      );
    }
    return {
      accessToken: credentials.access_token,
      expiresOn: credentials.expiry_date ?? Date.now() + 60_000,
    };
  }

  private createClient(settings: GoogleSmtpSettings): JWT {
    const { JWT } = loadGoogleAuth();
    const tokenUrl = this.options.google?.tokenUrl ?? DEFAULTS.google.tokenUrl;
    const fetch = httpsTokenFetch(GOOGLE_TOKEN_URL, tokenUrl, trustedCas(this.options.tls));
    return new JWT({
      email: settings.serviceAccountEmail,
      key: settings.privateKey,
      subject: settings.username,
      scopes: [GOOGLE_MAIL_SCOPE],
      transporterOptions: { fetchImplementation: fetch as never },
    });
  }
}

/** `google-auth-library` is needed only for Google settings, so it is an optional peer dependency. */
function loadGoogleAuth(): typeof import('google-auth-library') {
  return requireOptional(
    'google-auth-library',
    'Google Workspace (Bearer) settings',
    (message) => new TokenRequestFailedError('GOOGLE_AUTH_MISSING', message),
  );
}
