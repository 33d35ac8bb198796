import { ConfigurableModuleBuilder } from '@nestjs/common';
import type {
  SmtpSettingsModuleExtras,
  SmtpSettingsModuleOptions,
} from './options/smtp-settings-options.interface';
import { createSmtpSettingsController } from './http/smtp-settings.controller';
import { createBackupController } from './http/backup.controller';
import { createOutboxController } from './http/outbox.controller';
import { SMTP_SETTINGS_MODULE_OPTIONS } from './options/smtp-settings.constants';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from './options/smtp-settings.defaults';

const DEFAULT_PATH = SMTP_SETTINGS_OPTION_DEFAULTS.path;

export const { ConfigurableModuleClass: ConfigurableSmtpSettingsModule } =
  new ConfigurableModuleBuilder<SmtpSettingsModuleOptions>({
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
        // The send log routes too, with or without the outbox option (forRoot knows it, forRootAsync
        // does not): without it they answer 404 OUTBOX_NOT_CONFIGURED after the guards, and stay in
        // the OpenAPI document, where an unmapped route would be Nest's bare 404 for anyone.
        controllers:
          extras.routes === false
            ? []
            : [
                createSmtpSettingsController(extras.path ?? DEFAULT_PATH),
                createBackupController(extras.path ?? DEFAULT_PATH),
                createOutboxController(extras.path ?? DEFAULT_PATH),
              ],
      }),
    )
    .build();
