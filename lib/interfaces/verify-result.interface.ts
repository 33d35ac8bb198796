/**
 * Where a connection check or a test email stopped. `token` is the Microsoft sign-in before SMTP
 * AUTH; `sender` is MAIL FROM, `recipients` is RCPT TO, `message` is the message data. `mailbox` is
 * Microsoft Graph's: whether the app may send as the mailbox.
 */
export type VerifyStage =
  'dns' | 'connect' | 'tls' | 'auth' | 'token' | 'mailbox' | 'sender' | 'recipients' | 'message';

/** One recipient the server refused, and why. */
export interface RecipientRefusal {
  recipient: string;
  /** The SMTP reply code. */
  code: string | null;
  /** Why, in the admin's words, with the server's reply. */
  message: string;
}

/** The answer of `POST /smtp-settings/verify`: a remote failure is a result, never a 500. */
export interface VerifyResult {
  ok: boolean;
  /** The last stage reached: `auth` when everything passed. */
  stage: VerifyStage;
  /** The SMTP reply code, a nodemailer error code, or an Entra ID AADSTS code. */
  code: string | null;
  /** What the admin should do next. */
  message: string;
  /** The settings field to fix, when one is to blame. */
  field?: string;
  durationMs: number;
  /** The channel that was checked. */
  route: 'relay' | 'custom';
}

/** Where a check or a send stopped, and what the admin should change. */
export interface Explanation {
  stage: VerifyStage;
  code: string | null;
  message: string;
  /** The settings field to fix, when one is to blame. */
  field?: string;
  /** Every recipient the server refused, and why: when the failure is at the recipients. */
  refused?: RecipientRefusal[];
}
