import { Inject, Injectable } from '@nestjs/common';
import type { SmtpSettingsModuleOptions } from '../interfaces/smtp-settings-module-options.interface';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../smtp-settings.constants';
import { assertRelayVerifiesCertificates } from './relay-certificate-check';

/**
 * Checks the module options when the module starts. It runs in the constructor, so that a refused
 * option stops the application before any store, pool or socket is opened.
 */
@Injectable()
export class SmtpSettingsStartupChecks {
  constructor(@Inject(SMTP_SETTINGS_MODULE_OPTIONS) options: SmtpSettingsModuleOptions) {
    assertRelayVerifiesCertificates(options.relay);
  }
}
