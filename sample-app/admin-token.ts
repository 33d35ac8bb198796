import { Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { InjectSampleConfig, type SampleConfig } from './sample.config';

/** The sample app's stand-in for real admin authentication: one shared bearer token. */
@Injectable()
export class AdminToken {
  private readonly token: Buffer;
  /**
   * The token generated because ADMIN_TOKEN is unset: bootstrap prints it once, so that a newcomer
   * can sign in. A configured token is never printed.
   */
  readonly generated?: string;

  constructor(@InjectSampleConfig() config: SampleConfig) {
    if (config.adminToken) {
      this.token = Buffer.from(config.adminToken);
    } else {
      this.generated = randomBytes(18).toString('base64url');
      this.token = Buffer.from(this.generated);
    }
  }

  matches(candidate: string): boolean {
    const given = Buffer.from(candidate);
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }
}
