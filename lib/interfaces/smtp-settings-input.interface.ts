import type { BasicSmtpSettings, BearerSmtpSettings } from './smtp-settings.types';

/**
 * The body of `PUT /smtp-settings` and `POST /smtp-settings/verify`: Basic or Bearer fields. The
 * secret may be left out to keep the saved one, where the destination did not change. Validated
 * before use, by the same rules as the REST API.
 */
export type SmtpSettingsInput =
  | (Omit<BasicSmtpSettings, 'password'> & { password?: string })
  | (Omit<BearerSmtpSettings, 'clientSecret'> & { clientSecret?: string });
