import { ConfigurableModuleBuilder } from '@nestjs/common';
import type {
  SmtpSettingsModuleExtras,
  SmtpSettingsModuleOptions,
} from './options/smtp-settings-options.interface';
import { createSmtpSettingsController } from './http/smtp-settings.controller';
import { DEFAULT_PATH, SMTP_SETTINGS_MODULE_OPTIONS } from './options/smtp-settings.constants';

export const {
  ConfigurableModuleClass: ConfigurableSmtpSettingsModule,
  OPTIONS_TYPE: SMTP_SETTINGS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: SMTP_SETTINGS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<SmtpSettingsModuleOptions>({
  moduleName: 'SmtpSettings',
  optionsInjectionToken: SMTP_SETTINGS_MODULE_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSmtpSettingsOptions')
  .setExtras<SmtpSettingsModuleExtras>(
    { isGlobal: false, path: DEFAULT_PATH, routes: true },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      // Routes are registered before any options factory runs, so what shapes them is static.
      controllers:
        extras.routes === false ? [] : [createSmtpSettingsController(extras.path ?? DEFAULT_PATH)],
    }),
  )
  .build();
