import type {
  BasicSmtpSettings,
  BearerSmtpSettings,
  GoogleSmtpSettings,
  MicrosoftGraphSettings,
} from './smtp-settings.types';

/**
 * The body of `PUT /smtp-settings` and `POST /smtp-settings/verify`: Basic settings, or Bearer
 * settings of one provider. The secret may be left out to keep the saved one, where the destination
 * did not change. Validated before use, by the same rules as the REST API.
 */
export type SmtpSettingsInput =
  | (Omit<BasicSmtpSettings, 'password'> & { password?: string })
  | (Omit<BearerSmtpSettings, 'clientSecret'> & { clientSecret?: string })
  | (Omit<MicrosoftGraphSettings, 'clientSecret'> & { clientSecret?: string })
  | (Omit<GoogleSmtpSettings, 'privateKey'> & { privateKey?: string });
