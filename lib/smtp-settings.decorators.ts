import { Inject } from '@nestjs/common';
import { SmtpSettingsStore } from './interfaces/smtp-settings-store.interface';
import { UpgradeCenter } from './interfaces/upgrade-center.interface';

export const InjectSmtpSettingsStore = (): ParameterDecorator & PropertyDecorator =>
  Inject(SmtpSettingsStore);
export const InjectUpgradeCenter = (): ParameterDecorator & PropertyDecorator =>
  Inject(UpgradeCenter);
