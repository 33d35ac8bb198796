import type { SendResult } from './send-result.interface';
import type { Explanation, RecipientRefusal } from './verify-result.interface';

/** The answer of `POST /smtp-settings/test-email`: a failure is a result, never a 500. */
export type TestEmailResult =
  ({ ok: true; refused?: RecipientRefusal[] } & SendResult) | ({ ok: false } & Explanation);
