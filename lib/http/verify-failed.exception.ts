import { HttpException, HttpStatus } from '@nestjs/common';
import type { VerifyResult } from '../interfaces/verify-result.interface';

/**
 * `PUT ?verify=true` whose check failed: nothing was saved. The body carries the verify result as
 * `POST verify` answers it (never a secret), and its message, which says what to fix.
 */
export class VerifyFailedException extends HttpException {
  constructor(readonly verify: VerifyResult) {
    super(
      {
        statusCode: HttpStatus.UNPROCESSABLE_ENTITY,
        code: 'VERIFY_FAILED',
        message: verify.message,
        verify,
      },
      HttpStatus.UNPROCESSABLE_ENTITY,
    );
  }
}
