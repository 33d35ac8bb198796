import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, getConfigToken } from '@nestjs/config';
import { SmtpSettingsModule, type UpgradeCenter } from '../lib';
import { DevInbox, STARTED_INBOXES, type StartedInboxes } from './dev-inbox/dev-inbox';
import { DevInboxController } from './dev-inbox/dev-inbox.controller';
import { NotificationsController } from './notifications/notifications.controller';
import { SAMPLE_CONFIG, sampleConfig, type SampleConfig, type SampleEnv } from './sample.config';
import { SampleCoreModule } from './sample-core.module';
import { smtpSettingsOptions } from './settings-options';
import { startupEnv, startupOutbox } from './startup-env';
import type { StartedTelemetry } from './telemetry/started-telemetry';
import { TelemetryModule } from './telemetry/telemetry.module';
import { SampleUpgradeCenter } from './upgrade-center.service';
import { UpgradesController } from './upgrades.controller';
import { PagesController } from './web/pages.controller';

@Module({})
export class AppModule {
  /**
   * `env` overrides the process environment (tests use it); see README for the variables.
   * `telemetry` is the SDK that bootstrap started before Nest, when OTEL asks for it.
   */
  static forRoot(
    env: SampleEnv = {},
    startedInboxes: StartedInboxes = new Set(),
    telemetry: StartedTelemetry | null = null,
  ): DynamicModule {
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
        ...(telemetry ? [TelemetryModule.forRoot(telemetry)] : []),
        ...queuesBoard(env),
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

/**
 * Bull Board with the outbox on, and only then loaded (a require, so that the quick start reads
 * none of its modules).
 */
function queuesBoard(env: SampleEnv): DynamicModule[] {
  if (!startupOutbox(startupEnv(env))) return [];
  // oxlint-disable-next-line typescript/no-require-imports
  const { QueuesBoardModule } =
    require('./queues-board/queues-board.module') as typeof import('./queues-board/queues-board.module');
  return [QueuesBoardModule.forRoot()];
}
