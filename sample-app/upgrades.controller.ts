import {
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Put,
  UseGuards,
} from '@nestjs/common';
import { KNOWN_UPGRADES } from '../lib';
import type { SampleAdmin } from './admin-token';
import { AdminTokenGuard } from './admin-token.guard';
import { CurrentAdmin } from './current-admin.decorator';
import { SampleUpgradeCenter } from './upgrade-center.service';

/**
 * Installs and removes upgrades at run time for the caller's tenant, as the product's Upgrade
 * Center would; kept in DATA_DIR.
 */
@Controller('upgrades')
@UseGuards(AdminTokenGuard)
export class UpgradesController {
  constructor(private readonly upgrades: SampleUpgradeCenter) {}

  @Get()
  list(@CurrentAdmin() admin: SampleAdmin): { tenant: string; installed: string[] } {
    return { tenant: admin.tenantId, installed: this.upgrades.list(admin.tenantId) };
  }

  @Put(':id')
  @HttpCode(204)
  install(@Param('id') id: string, @CurrentAdmin() admin: SampleAdmin): void {
    this.upgrades.install(known(id), admin.tenantId);
  }

  @Delete(':id')
  @HttpCode(204)
  uninstall(@Param('id') id: string, @CurrentAdmin() admin: SampleAdmin): void {
    this.upgrades.uninstall(known(id), admin.tenantId);
  }
}

function known(id: string): string {
  if (!KNOWN_UPGRADES.some((upgrade) => upgrade.id === id))
    throw new NotFoundException(`There is no upgrade ${id}`);
  return id;
}
