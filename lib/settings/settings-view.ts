import type { SealedSmtpSettings, SmtpSettingsView } from './smtp-settings.types';

/** Settings as any response shows them: secrets are dropped, not masked, and their presence flagged. */
export function toSettingsView(settings: SealedSmtpSettings): SmtpSettingsView {
  if (settings.type === 'basic') {
    const { password: _password, ...rest } = settings;
    return { ...rest, passwordSet: true };
  }
  const { clientSecret: _clientSecret, ...rest } = settings;
  return { ...rest, clientSecretSet: true };
}
