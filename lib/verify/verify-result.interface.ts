/** Where a connection check stopped. `token` is the Microsoft sign-in before SMTP AUTH. */
export type VerifyStage = 'dns' | 'connect' | 'tls' | 'auth' | 'token';

/** The answer of `POST /smtp-settings/verify`: a remote failure is a result, never a 500. */
export interface VerifyResult {
  ok: boolean;
  /** The last stage reached: `auth` when everything passed. */
  stage: VerifyStage;
  /** The SMTP reply code, a nodemailer error code, or an Entra ID AADSTS code. */
  code: string | null;
  /** What the admin should do next. */
  message: string;
  durationMs: number;
  route: 'relay' | 'custom';
}
