import type { LiveSentMessageInfo } from '../transport/live-smtp-transport';
import type { Explanation } from '../transport/verify/explain-smtp-failure';
import type { RecipientRefusal } from './verify-result.interface';

/** The answer of `POST /smtp-settings/test-email`: a failure is a result, never a 500. */
export type TestEmailResult =
  | ({ ok: true; refused?: RecipientRefusal[] } & LiveSentMessageInfo)
  | ({ ok: false } & Explanation);
