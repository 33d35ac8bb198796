export * from '../interfaces/smtp-settings.types';
export * from './smtp-settings.dto';
export * from './smtp-settings.proposals';
export * from './smtp-settings.rules';
export * from '../interfaces/smtp-settings-change.interface';
export * from './smtp-settings.service';
export { validateSmtpSettings } from './validate-smtp-settings';
