import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Post,
  Put,
  Req,
  Res,
  UseFilters,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { MailerService, type TestEmailResult } from '../mailer/mailer.service';
import { TestEmailDto } from '../mailer/test-email.dto';
import type { VerifyResult } from '../verify/verify-result.interface';
import { validateDto } from './validate-dto';
import { SmtpSettingsExceptionFilter } from '../errors/smtp-settings-exception.filter';
import type {
  SmtpSettingsModuleOptions,
  SmtpSettingsRequest,
} from '../interfaces/smtp-settings-module-options.interface';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../smtp-settings.constants';
import type { SmtpSettingsHistoryEntry } from '../stores/smtp-settings-store.interface';
import { BearerUpgradeGuard } from '../upgrades/bearer-upgrade.guard';
import { UpgradeCenter } from '../upgrades/upgrade-center.interface';
import { SMTP_OAUTH_UPGRADE } from '../upgrades/upgrades.constants';
import type { SmtpSettingsCapabilities } from './capabilities.interface';
import { etagOf, parseIfMatch } from './if-match';
import { SmtpSettingsAccessGuard } from './smtp-settings-access.guard';
import { DEFAULT_RELAY_MAX_RECIPIENTS, SMTP_SETTINGS_DEFAULTS } from './smtp-settings.defaults';
import { SmtpSettingsService } from './smtp-settings.service';
import type { SmtpSettingsState } from './smtp-settings.types';

/** The part of a response object that Express and Fastify share. */
interface HeaderSink {
  header(name: string, value: string): unknown;
}

@UseGuards(SmtpSettingsAccessGuard)
@UseFilters(SmtpSettingsExceptionFilter)
export class SmtpSettingsController {
  constructor(
    protected readonly settings: SmtpSettingsService,
    protected readonly mailer: MailerService,
    @Inject(UpgradeCenter) protected readonly upgrades: UpgradeCenter,
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) protected readonly options: SmtpSettingsModuleOptions,
  ) {}

  @Get()
  get(@Res({ passthrough: true }) res: HeaderSink): SmtpSettingsState {
    return withEtag(res, this.settings.get());
  }

  @Put()
  @UseGuards(BearerUpgradeGuard)
  async put(
    @Body() body: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: SmtpSettingsRequest,
    @Res({ passthrough: true }) res: HeaderSink,
  ): Promise<SmtpSettingsState> {
    const state = await this.settings.update(body, this.actorOf(req), parseIfMatch(ifMatch));
    return withEtag(res, state);
  }

  @Delete()
  @HttpCode(204)
  async reset(
    @Headers('if-match') ifMatch: string | undefined,
    @Req() req: SmtpSettingsRequest,
    @Res({ passthrough: true }) res: HeaderSink,
  ): Promise<void> {
    withEtag(res, await this.settings.reset(this.actorOf(req), parseIfMatch(ifMatch)));
  }

  @Post('verify')
  @HttpCode(200)
  @UseGuards(BearerUpgradeGuard)
  verify(@Body() body: unknown): Promise<VerifyResult> {
    return this.mailer.verify(body ?? undefined);
  }

  @Post('test-email')
  @HttpCode(200)
  testEmail(@Body() body: unknown): Promise<TestEmailResult> {
    return this.mailer.sendTestEmail(validateDto(TestEmailDto, body).to);
  }

  @Get('capabilities')
  async capabilities(): Promise<SmtpSettingsCapabilities> {
    const installed = await this.upgrades.isInstalled(SMTP_OAUTH_UPGRADE.id);
    return {
      authTypes: installed ? ['basic', 'bearer'] : ['basic'],
      providers: ['microsoft'],
      upgrade: { ...SMTP_OAUTH_UPGRADE, installed },
      relay: { maxRecipients: this.options.relay?.maxRecipients ?? DEFAULT_RELAY_MAX_RECIPIENTS },
      defaults: SMTP_SETTINGS_DEFAULTS,
    };
  }

  @Get('history')
  history(): Promise<SmtpSettingsHistoryEntry[]> {
    return this.settings.history();
  }

  protected actorOf(req: SmtpSettingsRequest): string | null {
    if (this.options.actor) return this.options.actor(req) ?? null;
    const user = req.user as Record<string, unknown> | undefined;
    const id = user?.id ?? user?.username ?? user?.email;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
  }
}

function withEtag<T extends { version: number }>(res: HeaderSink, state: T): T {
  res.header('ETag', etagOf(state.version));
  return state;
}

/** The controller at the configured route prefix; a subclass, so apps with other prefixes don't clash. */
export function createSmtpSettingsController(path: string): Type<SmtpSettingsController> {
  @Controller(path)
  class ConfiguredSmtpSettingsController extends SmtpSettingsController {}
  return ConfiguredSmtpSettingsController;
}
