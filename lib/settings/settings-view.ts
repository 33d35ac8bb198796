import type { SealedSmtpSettings, SmtpSettingsView } from '../interfaces/smtp-settings.types';

/**
 * Settings as any response shows them: secrets are dropped, not masked, and flagged as set only
 * when they can be opened (`secretUsable`), so that the page asks for one that cannot.
 */
export function toSettingsView(
  settings: SealedSmtpSettings,
  secretUsable = true,
): SmtpSettingsView {
  if (settings.type === 'basic') {
    const { password: _password, ...rest } = settings;
    return { ...rest, passwordSet: secretUsable };
  }
  if (settings.provider === 'google') {
    const { privateKey: _privateKey, ...rest } = settings;
    return { ...rest, privateKeySet: secretUsable };
  }
  const { clientSecret: _clientSecret, ...rest } = settings;
  return { ...rest, clientSecretSet: secretUsable };
}
