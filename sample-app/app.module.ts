import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, getConfigToken } from '@nestjs/config';
import { SmtpSettingsModule, type UpgradeCenter } from '../lib';
import { DevInbox, STARTED_INBOXES, type StartedInboxes } from './dev-inbox/dev-inbox';
import { DevInboxController } from './dev-inbox/dev-inbox.controller';
import { NotificationsController } from './notifications/notifications.controller';
import { SAMPLE_CONFIG, sampleConfig, type SampleConfig, type SampleEnv } from './sample.config';
import { SampleCoreModule } from './sample-core.module';
import { smtpSettingsOptions } from './settings-options';
import { SampleUpgradeCenter } from './upgrade-center.service';
import { UpgradesController } from './upgrades.controller';
import { PagesController } from './web/pages.controller';

@Module({})
export class AppModule {
  /** `env` overrides the process environment (tests use it); see README for the variables. */
  static forRoot(env: SampleEnv = {}, startedInboxes: StartedInboxes = new Set()): DynamicModule {
    return {
      module: AppModule,
      global: true,
      providers: [{ provide: STARTED_INBOXES, useValue: startedInboxes }],
      exports: [STARTED_INBOXES],
      imports: [
        ConfigModule.forRoot({ isGlobal: true, load: [sampleConfig(env)] }),
        SampleCoreModule,
        SmtpSettingsModule.forRootAsync({
          inject: [getConfigToken(SAMPLE_CONFIG), SampleUpgradeCenter, DevInbox],
          useFactory: (config: SampleConfig, upgrades: UpgradeCenter, inbox: DevInbox) =>
            smtpSettingsOptions(config, upgrades, inbox),
        }),
      ],
      controllers: [
        PagesController,
        NotificationsController,
        UpgradesController,
        DevInboxController,
      ],
    };
  }
}
