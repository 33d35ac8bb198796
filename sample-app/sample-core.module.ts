import { Global, Module } from '@nestjs/common';
import { AdminToken } from './admin-token';
import { AdminTokenGuard } from './admin-token.guard';
import { DevInbox } from './dev-inbox/dev-inbox';
import { SampleUpgradeCenter } from './upgrade-center.service';

/** What the settings module's factory and guards inject from the app. */
@Global()
@Module({
  providers: [AdminToken, AdminTokenGuard, SampleUpgradeCenter, DevInbox],
  exports: [AdminToken, AdminTokenGuard, SampleUpgradeCenter, DevInbox],
})
export class SampleCoreModule {}
