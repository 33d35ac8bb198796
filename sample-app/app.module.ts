import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { join } from 'node:path';
import { SmtpSettingsModule } from '../lib';
import { AdminTokenGuard } from './admin-token.guard';
import { SampleCoreModule } from './sample-core.module';
import { SampleUpgradeCenter } from './upgrade-center.service';
import { UpgradesController } from './upgrades.controller';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    SampleCoreModule,
    SmtpSettingsModule.forRootAsync({
      inject: [ConfigService, SampleUpgradeCenter],
      useFactory: (config: ConfigService, upgrades: SampleUpgradeCenter) => ({
        dataFile: join(config.get<string>('DATA_DIR') ?? '.data', 'smtp-settings.json'),
        encryptionKey: config.get<string>('SMTP_SETTINGS_KEY') || undefined,
        upgrades,
        guards: [AdminTokenGuard],
      }),
    }),
  ],
  controllers: [UpgradesController],
})
export class AppModule {}
