export * from './mailer.service';
export * from '../errors/header-injection.error';
export type * from '../interfaces/smtp-settings-input.interface';
