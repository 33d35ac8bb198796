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
import { AdminTokenGuard } from './admin-token.guard';
import { SampleUpgradeCenter } from './upgrade-center.service';

/** Installs and removes upgrades at run time, as the product's Upgrade Center would; kept in DATA_DIR. */
@Controller('upgrades')
@UseGuards(AdminTokenGuard)
export class UpgradesController {
  constructor(private readonly upgrades: SampleUpgradeCenter) {}

  @Get()
  list(): { installed: string[] } {
    return { installed: this.upgrades.list() };
  }

  @Put(':id')
  @HttpCode(204)
  install(@Param('id') id: string): void {
    this.upgrades.install(known(id));
  }

  @Delete(':id')
  @HttpCode(204)
  uninstall(@Param('id') id: string): void {
    this.upgrades.uninstall(known(id));
  }
}

function known(id: string): string {
  if (!KNOWN_UPGRADES.some((upgrade) => upgrade.id === id))
    throw new NotFoundException(`There is no upgrade ${id}`);
  return id;
}
