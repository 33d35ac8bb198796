import type {
  AccessToken,
  TokenLease,
  TokenSource,
} from '../../../lib/providers/oauth/access-token';
import { LeasedTokenCache } from '../../../lib/providers/oauth/leased-token-cache';

/** What a token request needs of the settings. */
export interface ExampleAccount {
  accountId: string;
  clientSecret: string;
}

/**
 * Example Mail's tokens: the account's secret exchanged at `tokenUrl` (a fake on loopback), through
 * the cache every provider shares (providers/oauth/).
 */
export class ExampleTokens {
  private readonly cache = new LeasedTokenCache<ExampleAccount, AccessToken>((account) =>
    this.request(account),
  );

  constructor(private readonly tokenUrl: string) {}

  lease(tenant: string, version: number, account: ExampleAccount): TokenLease {
    const { entry, release } = this.cache.lease(tenant, version, () => account);
    return { tokens: (renew, rejected) => this.cache.tokens(entry, renew, rejected), release };
  }

  oneOff(account: ExampleAccount): TokenSource {
    return () => this.request(account);
  }

  private async request({ accountId, clientSecret }: ExampleAccount): Promise<AccessToken> {
    const answer = await fetch(this.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accountId, clientSecret }),
    });
    if (!answer.ok) throw new Error(`Example Mail refused the account (${answer.status})`);
    const { access_token, expires_in } = (await answer.json()) as {
      access_token: string;
      expires_in: number;
    };
    return { accessToken: access_token, expiresOn: Date.now() + expires_in * 1000 };
  }
}
