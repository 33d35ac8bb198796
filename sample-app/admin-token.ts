import { Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DEFAULT_TENANT } from './admin-tokens.config';
import { InjectSampleConfig, type SampleConfig } from './sample.config';

/** Who signed in: what the admin guard puts on `req.user`. */
export interface SampleAdmin {
  /** For the settings history and the per-admin rate limit: `admin`, or `admin@<tenant>`. */
  id: string;
  /** The tenant this admin administers; the settings module's `tenant` option reads it. */
  tenantId: string;
}

interface Credential {
  token: Buffer;
  admin: SampleAdmin;
}

/**
 * The sample app's stand-in for real admin authentication: bearer tokens, each for one tenant
 * (ADMIN_TOKEN for `default`, ADMIN_TOKENS for the others).
 */
@Injectable()
export class AdminToken {
  private readonly credentials: Credential[];
  /**
   * The token generated because no token is configured: bootstrap prints it once, so that a
   * newcomer can sign in. A configured token is never printed.
   */
  readonly generated?: string;

  constructor(@InjectSampleConfig() config: SampleConfig) {
    const entries = [...config.adminTokens];
    if (entries.length === 0) {
      this.generated = randomBytes(18).toString('base64url');
      entries.push({ token: this.generated, tenant: DEFAULT_TENANT });
    }
    const seen = new Map<string, number>();
    this.credentials = entries.map(({ token, tenant }) => {
      const n = (seen.get(tenant) ?? 0) + 1;
      seen.set(tenant, n);
      const id = (tenant === DEFAULT_TENANT ? 'admin' : `admin@${tenant}`) + (n > 1 ? `#${n}` : '');
      return { token: Buffer.from(token), admin: { id, tenantId: tenant } };
    });
  }

  /** The tenants that have an admin, in the order configured. */
  get tenants(): string[] {
    return [...new Set(this.credentials.map((c) => c.admin.tenantId))];
  }

  /** The admin a token belongs to, or `undefined`. Every token is compared, in constant time each. */
  adminOf(candidate: string): SampleAdmin | undefined {
    const given = Buffer.from(candidate);
    let found: SampleAdmin | undefined;
    for (const { token, admin } of this.credentials) {
      if (given.length === token.length && timingSafeEqual(given, token)) found ??= admin;
    }
    return found ? { ...found } : undefined;
  }
}
