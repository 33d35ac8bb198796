import { Inject } from '@nestjs/common';
import { SmtpSettingsStore } from './stores/smtp-settings-store.interface';
import { UpgradeCenter } from './upgrades/upgrade-center.interface';

export const InjectSmtpSettingsStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(SmtpSettingsStore);
export const InjectUpgradeCenter = (): ParameterDecorator & PropertyDecorator =>
  Inject(UpgradeCenter);
