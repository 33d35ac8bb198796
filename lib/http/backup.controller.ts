import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '../internal/api-property';
import type { SmtpBackupAdminState } from '../interfaces/smtp-connection.interface';
import { MailerService } from '../mailer/mailer.service';
import type {
  SmtpSettingsModuleOptions,
  SmtpSettingsRequest,
} from '../options/smtp-settings-options.interface';
import { SMTP_SETTINGS_MODULE_OPTIONS } from '../options/smtp-settings.constants';
import { BackupSettings } from '../settings/backup-settings';
import { SmtpSettingsService } from '../settings/smtp-settings.service';
import { actorOf } from './actor';
import { AdminActionsThrottlerGuard, AdminActionWhen } from './admin-actions-throttler.guard';
import { BearerUpgradeGuard } from './bearer-upgrade.guard';
import { parseIfMatch } from './if-match';
import { withEtag, type HeaderSink } from './etag-response';
import { ApiSaveSettings } from './api-save-settings.decorator';
import { BACKUP_STATE_SCHEMA } from './openapi/backup.openapi';
import {
  DOMAIN_ERROR_SCHEMA,
  FORBIDDEN_RESPONSE,
  UNAUTHORIZED_RESPONSE,
} from './openapi/smtp-settings.openapi';
import { RequestTenant } from './request-tenant';
import { SmtpSettingsAccessGuard } from './smtp-settings-access.guard';
import { SmtpSettingsExceptionFilter } from './smtp-settings-exception.filter';
import { asksToVerify, checkedSave } from './verify-before-save';

/**
 * The backup connection's routes, `<path>/backup`: the main settings' body shapes, rules, upgrade
 * gate, secret handling, guards and filter, with the backup's own version (ETag, If-Match).
 * Verify and test-email of the backup are the main routes' with `?connection=backup`.
 */
@UseGuards(SmtpSettingsAccessGuard)
@UseFilters(SmtpSettingsExceptionFilter)
@ApiTags('SMTP settings')
@ApiResponse(UNAUTHORIZED_RESPONSE)
@ApiResponse(FORBIDDEN_RESPONSE)
export class SmtpBackupController {
  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly backups: BackupSettings,
    private readonly mailer: MailerService,
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
  ) {}

  @Get('backup')
  @ApiOperation({
    summary: 'The backup connection, without secrets; the ETag is its own version',
  })
  @ApiResponse({ status: 200, schema: BACKUP_STATE_SCHEMA })
  async get(
    @RequestTenant() tenant: string,
    @Res({ passthrough: true }) res: HeaderSink,
  ): Promise<SmtpBackupAdminState> {
    return withEtag(res, { tenant, ...(await this.settings.getBackup(tenant)) });
  }

  @Put('backup')
  @UseGuards(BearerUpgradeGuard, AdminActionsThrottlerGuard)
  @AdminActionWhen(asksToVerify)
  @ApiSaveSettings(
    {
      summary: 'Save the backup connection: the same body and rules as the main settings',
      description:
        'Direct sends fail over to it when the main server cannot take a message. Omit the secret to keep the stored ' +
        'one (same re-entry rule). If-Match takes the ETag of GET backup. With verify=true, saved only if the check passes.',
    },
    BACKUP_STATE_SCHEMA,
  )
  async put(
    @Body() body: unknown,
    @Query('verify') verify: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @RequestTenant() tenant: string,
    @Req() req: SmtpSettingsRequest,
    @Res({ passthrough: true }) res: HeaderSink,
  ): Promise<SmtpBackupAdminState> {
    const parts = { settings: this.backups, mailer: this.mailer };
    const actor = actorOf(this.options, req);
    const state = await checkedSave(
      parts,
      { body, verify, ifMatch, tenant },
      'backup',
      (expectedVersion) => this.settings.updateBackup(body, { actor, expectedVersion, tenant }),
    );
    return withEtag(res, { tenant, ...state });
  }

  @Delete('backup')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove the backup connection: no failover afterwards' })
  @ApiResponse({ status: 204, description: 'Removed (or there was none)' })
  @ApiResponse({ status: 412, description: 'If-Match is stale', schema: DOMAIN_ERROR_SCHEMA })
  async reset(
    @Headers('if-match') ifMatch: string | undefined,
    @RequestTenant() tenant: string,
    @Req() req: SmtpSettingsRequest,
    @Res({ passthrough: true }) res: HeaderSink,
  ): Promise<void> {
    const actor = actorOf(this.options, req);
    const expectedVersion = parseIfMatch(ifMatch);
    withEtag(res, await this.settings.resetBackup({ actor, expectedVersion, tenant }));
  }
}

/** The backup routes at `<path>/backup`, as `createSmtpSettingsController` places the main ones. */
export function createBackupController(path: string): Type<SmtpBackupController> {
  @Controller(path)
  class ConfiguredSmtpBackupController extends SmtpBackupController {}
  return ConfiguredSmtpBackupController;
}
