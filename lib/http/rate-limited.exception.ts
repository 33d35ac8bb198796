import { HttpException, HttpStatus } from '@nestjs/common';

/** Too many `verify` or `test-email` requests: the module's error shape, with the wait in words. */
export class RateLimitedException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    const unit = retryAfterSeconds === 1 ? 'second' : 'seconds';
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        code: 'RATE_LIMITED',
        message: `Too many connection checks and test emails: try again in ${retryAfterSeconds} ${unit}`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
