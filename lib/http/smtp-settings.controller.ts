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
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { MailerService, type TestEmailResult } from '../mailer/mailer.service';
import { TestEmailDto } from './test-email.dto';
import {
  ApiBody,
  ApiExtraModels,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '../internal/api-property';
import {
  CAPABILITIES_SCHEMA,
  DOMAIN_ERROR_SCHEMA,
  FIELD_ERRORS_SCHEMA,
  FORBIDDEN_OR_UPGRADE_RESPONSE,
  FORBIDDEN_RESPONSE,
  RATE_LIMITED_RESPONSE,
  SMTP_SETTINGS_BODY_MODELS,
  SMTP_SETTINGS_BODY_SCHEMA,
  SMTP_SETTINGS_STATE_SCHEMA,
  TEST_EMAIL_RESULT_SCHEMA,
  UNAUTHORIZED_RESPONSE,
  VERIFY_RESULT_SCHEMA,
} from './openapi/smtp-settings.openapi';
import { CONNECTION_QUERY, HISTORY_SCHEMA } from './openapi/backup.openapi';
import { parseConnectionQuery } from './connection-query';
import type { VerifyResult } from '../interfaces/verify-result.interface';
import type { SmtpSettingsInput } from '../interfaces/smtp-settings-input.interface';
import { validateDto } from '../internal/validate-dto';
import { RequestValidationError } from '../errors/request-validation.error';
import { SmtpSettingsExceptionFilter } from './smtp-settings-exception.filter';
import type {
  SmtpSettingsModuleOptions,
  SmtpSettingsRequest,
} from '../options/smtp-settings-options.interface';
import {
  SMTP_SETTINGS_MAIL_PROVIDERS,
  SMTP_SETTINGS_MODULE_OPTIONS,
} from '../options/smtp-settings.constants';
import type { SmtpSettingsHistoryEntry } from '../interfaces/smtp-settings-store.interface';
import { BearerUpgradeGuard } from './bearer-upgrade.guard';
import { UpgradeCenter } from '../interfaces/upgrade-center.interface';
import { SMTP_OAUTH_UPGRADE } from '../upgrades/upgrades.constants';
import type { SmtpSettingsCapabilities } from './capabilities.interface';
import { deliveryView } from './delivery-view';
import { actorOf } from './actor';
import { AdminActionsThrottlerGuard, AdminActionWhen } from './admin-actions-throttler.guard';
import { asksToVerify, checkedSave } from './verify-before-save';
import { TenantSettings } from '../settings/tenant-settings';
import { parseIfMatch } from './if-match';
import { withEtag, type HeaderSink } from './etag-response';
import { ApiSaveSettings } from './api-save-settings.decorator';
import { SmtpSettingsAccessGuard } from './smtp-settings-access.guard';
import { RequestTenant } from './request-tenant';
import { SMTP_SETTINGS_OPTION_DEFAULTS } from '../options/smtp-settings.defaults';
import { proposalsOf } from '../settings/smtp-settings.proposals';
import type { ProviderSettingsList } from '../settings/provider-settings.interface';
import { SmtpSettingsService } from '../settings/smtp-settings.service';
import type { SmtpSettingsState } from '../interfaces/smtp-settings.types';
import type { SmtpSettingsAdminState } from '../interfaces/smtp-settings-admin-state.interface';

/**
 * The admin REST API. The app's guards run first on every route, then the `tenant` option names
 * the tenant that every route reads and changes (`@RequestTenant()`); the module registers a
 * subclass at the `path` extra (see below), or none with `routes: false`.
 */
@UseGuards(SmtpSettingsAccessGuard)
@UseFilters(SmtpSettingsExceptionFilter)
@ApiTags('SMTP settings')
@ApiResponse(UNAUTHORIZED_RESPONSE)
@ApiResponse(FORBIDDEN_RESPONSE)
@ApiExtraModels(...SMTP_SETTINGS_BODY_MODELS)
export class SmtpSettingsController {
  constructor(
    private readonly settings: SmtpSettingsService,
    private readonly mailer: MailerService,
    @Inject(UpgradeCenter) private readonly upgrades: UpgradeCenter,
    @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
    private readonly tenantSettings: TenantSettings,
    @Inject(SMTP_SETTINGS_MAIL_PROVIDERS) private readonly providers: ProviderSettingsList,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The current settings, without secrets; the ETag is the version' })
  @ApiResponse({ status: 200, schema: SMTP_SETTINGS_STATE_SCHEMA })
  async get(
    @RequestTenant() tenant: string,
    @Res({ passthrough: true }) res: HeaderSink,
  ): Promise<SmtpSettingsAdminState> {
    return withEtag(res, await this.withDelivery(await this.settings.get(tenant), tenant));
  }

  @Put()
  @UseGuards(BearerUpgradeGuard, AdminActionsThrottlerGuard)
  @AdminActionWhen(asksToVerify)
  @ApiSaveSettings(
    {
      summary: 'Save settings (Basic, or Bearer once the smtp-oauth upgrade is installed)',
      description:
        'Omit password, clientSecret, clientCertificate or privateKey to keep the stored one. Send If-Match with the ETag of GET to refuse lost updates. ' +
        'With verify=true, the settings are checked as POST verify checks them and saved only if the check passes.',
    },
    SMTP_SETTINGS_STATE_SCHEMA,
  )
  async put(
    @Body() body: unknown,
    @Query('verify') verify: unknown,
    @Headers('if-match') ifMatch: string | undefined,
    @RequestTenant() tenant: string,
    @Req() req: SmtpSettingsRequest,
    @Res({ passthrough: true }) res: HeaderSink,
  ): Promise<SmtpSettingsAdminState> {
    const parts = { settings: this.tenantSettings, mailer: this.mailer };
    const actor = this.actorOf(req);
    const state = await checkedSave(
      parts,
      { body, verify, ifMatch, tenant },
      'main',
      (expectedVersion) => this.settings.update(body, { actor, expectedVersion, tenant }),
    );
    return withEtag(res, await this.withDelivery(state, tenant));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Revert to the default relay' })
  @ApiResponse({ status: 204, description: 'Mail goes through the relay again' })
  @ApiResponse({ status: 412, description: 'If-Match is stale', schema: DOMAIN_ERROR_SCHEMA })
  async reset(
    @Headers('if-match') ifMatch: string | undefined,
    @RequestTenant() tenant: string,
    @Req() req: SmtpSettingsRequest,
    @Res({ passthrough: true }) res: HeaderSink,
  ): Promise<void> {
    const options = { actor: this.actorOf(req), expectedVersion: parseIfMatch(ifMatch), tenant };
    withEtag(res, await this.settings.reset(options));
  }

  @Post('verify')
  @HttpCode(200)
  @UseGuards(BearerUpgradeGuard, AdminActionsThrottlerGuard)
  @ApiOperation({
    summary:
      'Check a connection without sending: the saved settings, or the unsaved ones in the body',
  })
  @ApiQuery(CONNECTION_QUERY)
  @ApiBody({ required: false, schema: SMTP_SETTINGS_BODY_SCHEMA })
  @ApiResponse({
    status: 200,
    description: 'Also when the check failed',
    schema: VERIFY_RESULT_SCHEMA,
  })
  @ApiResponse({ status: 400, description: 'Invalid fields', schema: FIELD_ERRORS_SCHEMA })
  @ApiResponse(FORBIDDEN_OR_UPGRADE_RESPONSE)
  @ApiResponse(RATE_LIMITED_RESPONSE)
  verify(
    @Body() body: unknown,
    @Query('connection') connection: unknown,
    @RequestTenant() tenant: string,
  ): Promise<VerifyResult> {
    const options = { tenant, connection: parseConnectionQuery(connection) };
    // Untrusted until validated: verify() checks it as PUT would before using a field.
    return this.mailer.verify((body ?? undefined) as SmtpSettingsInput | undefined, options);
  }

  @Post('test-email')
  @HttpCode(200)
  @UseGuards(AdminActionsThrottlerGuard)
  @ApiOperation({ summary: 'Send a short test email through the current route' })
  @ApiQuery(CONNECTION_QUERY)
  @ApiBody({ type: TestEmailDto })
  @ApiResponse({ status: 200, schema: TEST_EMAIL_RESULT_SCHEMA })
  @ApiResponse({ status: 400, description: 'Invalid address', schema: FIELD_ERRORS_SCHEMA })
  @ApiResponse(RATE_LIMITED_RESPONSE)
  testEmail(
    @Body() body: unknown,
    @Query('connection') connection: unknown,
    @RequestTenant() tenant: string,
  ): Promise<TestEmailResult> {
    const which = parseConnectionQuery(connection);
    const { to } = validateDto(TestEmailDto, body, (p) => new RequestValidationError(p));
    return this.mailer.sendTestEmail(to, { tenant, connection: which });
  }

  @Get('capabilities')
  @ApiOperation({
    summary: 'What the admin page offers: auth types, the upgrade, relay limit, defaults',
  })
  @ApiResponse({ status: 200, schema: CAPABILITIES_SCHEMA })
  async capabilities(@RequestTenant() tenant: string): Promise<SmtpSettingsCapabilities> {
    const installed = await this.upgrades.isInstalled(SMTP_OAUTH_UPGRADE.id, tenant);
    return {
      authTypes: installed ? ['basic', 'bearer'] : ['basic'],
      providers: this.providers.map((provider) => provider.id),
      upgrade: { ...SMTP_OAUTH_UPGRADE, installed },
      relay: {
        maxRecipients:
          this.options.relay?.maxRecipients ?? SMTP_SETTINGS_OPTION_DEFAULTS.relay.maxRecipients,
      },
      defaults: proposalsOf(this.providers),
    };
  }

  @Get('history')
  @ApiOperation({ summary: 'Who changed which fields, newest first (never values)' })
  @ApiResponse({ status: 200, schema: HISTORY_SCHEMA })
  history(@RequestTenant() tenant: string): Promise<SmtpSettingsHistoryEntry[]> {
    return this.settings.history(tenant);
  }

  private actorOf(req: SmtpSettingsRequest): string | null {
    return actorOf(this.options, req);
  }

  /** The settings can look fine and still not send: say whether mail can go out, for this tenant. */
  private async withDelivery(
    state: SmtpSettingsState,
    tenant: string,
  ): Promise<SmtpSettingsAdminState> {
    const bearer = state.settings?.type === 'bearer';
    const [bearerAllowed, secretProblem, status, backup] = await Promise.all([
      !bearer || this.upgrades.isInstalled(SMTP_OAUTH_UPGRADE.id, tenant),
      this.settings.secretProblem(tenant),
      this.mailer.status(tenant),
      this.settings.getBackup(tenant),
    ]);
    const hasRelay = this.options.relay !== undefined;
    const delivery = deliveryView({ state, hasRelay, bearerAllowed, secretProblem, status });
    return { tenant, ...state, backup: backup.settings ? backup : null, delivery };
  }
}

/** The controller at the configured route prefix; a subclass, so apps with other prefixes don't clash. */
export function createSmtpSettingsController(path: string): Type<SmtpSettingsController> {
  @Controller(path)
  class ConfiguredSmtpSettingsController extends SmtpSettingsController {}
  return ConfiguredSmtpSettingsController;
}
