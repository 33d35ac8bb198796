import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** The sample app's stand-in for real admin authentication: one shared bearer token. */
@Injectable()
export class AdminToken {
  private readonly token: Buffer;

  constructor(config: ConfigService) {
    const configured = config.get<string>('ADMIN_TOKEN');
    if (configured) {
      this.token = Buffer.from(configured);
    } else {
      const generated = randomBytes(18).toString('base64url');
      this.token = Buffer.from(generated);
      // Printed once so that a newcomer can call the API; set ADMIN_TOKEN to choose your own.
      new Logger('SampleApp').log(`ADMIN_TOKEN is not set; generated admin token: ${generated}`);
    }
  }

  matches(candidate: string): boolean {
    const given = Buffer.from(candidate);
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }
}
