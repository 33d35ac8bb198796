import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type {
  SmtpSettingsModuleExtras,
  SmtpSettingsModuleOptions,
} from './smtp-settings-options.interface';

/** A class that `forRootAsync({ useClass })` or `useExisting` instantiates to get the options. */
export interface SmtpSettingsOptionsFactory {
  createSmtpSettingsOptions(): SmtpSettingsModuleOptions | Promise<SmtpSettingsModuleOptions>;
}

/** What `SmtpSettingsModule.forRootAsync` takes: one of `useFactory`, `useClass` or `useExisting`. */
export type SmtpSettingsModuleAsyncOptions = ConfigurableModuleAsyncOptions<
  SmtpSettingsModuleOptions,
  keyof SmtpSettingsOptionsFactory
> &
  SmtpSettingsModuleExtras;
