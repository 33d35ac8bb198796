import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { SmtpSettingsModuleOptions } from './options/smtp-settings-options.interface';
import { SMTP_SETTINGS_MODULE_OPTIONS } from './options/smtp-settings.constants';
import { checkUpgradeIds, unknownUpgradeMessage } from './upgrades/upgrade-ids';
import { KNOWN_UPGRADES } from './upgrades/upgrades.constants';
import { assertRelayVerifiesCertificates } from './options/relay-certificate-check';
import { resolveTelemetryOptions } from './telemetry/telemetry-options';

/**
 * Checks the module options when the module starts. The relay check runs in the constructor, so
 * that a refused option stops the application before any store, pool or socket is opened.
 */
@Injectable()
export class SmtpSettingsStartupChecks implements OnModuleInit {
  private readonly logger = new Logger('SmtpSettings');

  constructor(
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
  ) {
    assertRelayVerifiesCertificates(options.relay);
    resolveTelemetryOptions(options);
  }

  /** A list of upgrade ids is known now: say what is installed, and catch a typo in an id. */
  onModuleInit(): void {
    const upgrades = this.options.upgrades;
    if (!Array.isArray(upgrades)) return;
    const { known, unknown } = checkUpgradeIds(upgrades as readonly string[]);
    const names = known.map((id) => `${id} (${KNOWN_UPGRADES.find((u) => u.id === id)!.name})`);
    this.logger.log(`Installed upgrades: ${names.length > 0 ? names.join(', ') : 'none'}`);
    for (const id of unknown) this.logger.warn(unknownUpgradeMessage(id, 'The upgrades option'));
  }
}
