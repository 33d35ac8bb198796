import type {
  BasicSmtpSettings,
  BearerSmtpSettings,
  GoogleSmtpSettings,
  MicrosoftGraphSettings,
} from './smtp-settings.types';

/**
 * The body of `PUT /smtp-settings` and `POST /smtp-settings/verify`: Basic settings, or Bearer
 * settings of one provider. The secret may be left out to keep the saved one, where the destination
 * did not change; Microsoft settings send `clientSecret` or `clientCertificate`, or neither to keep
 * the stored one. Validated before use, by the same rules as the REST API.
 */
export type SmtpSettingsInput =
  | (Omit<BasicSmtpSettings, 'password'> & { password?: string })
  | BearerSmtpSettings
  | MicrosoftGraphSettings
  | (Omit<GoogleSmtpSettings, 'privateKey'> & { privateKey?: string });
