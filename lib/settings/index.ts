export * from '../interfaces/smtp-settings.types';
export * from './validation/smtp-settings.dto';
export * from './smtp-settings.proposals';
export * from './validation/smtp-settings.rules';
export * from './tls-mode';
export * from '../interfaces/smtp-settings-change.interface';
export * from './smtp-settings.service';
export { validateSmtpSettings } from './validation/validate-smtp-settings';
