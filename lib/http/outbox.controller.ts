import {
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Optional,
  Param,
  Post,
  Query,
  UseFilters,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { OutboxMessageNotFoundError } from '../errors/outbox-message-not-found.error';
import type {
  EnqueueResult,
  OutboxSummary,
  SendLogEntry,
  SendLogPage,
} from '../interfaces/outbox.interface';
import { ApiOperation, ApiQuery, ApiResponse, ApiTags } from '../internal/api-property';
import { OutboxService } from '../outbox/outbox.service';
import { MESSAGE_ID_MAX_LENGTH } from '../outbox/send-log/send-log-entries';
import {
  NOT_RETRYABLE_RESPONSE,
  OUTBOX_NOT_FOUND_RESPONSE,
  OUTBOX_SUMMARY_SCHEMA,
  OUTBOX_UNAVAILABLE_RESPONSE,
  RETRY_RESULT_SCHEMA,
  SEND_LOG_ENTRY_SCHEMA,
  SEND_LOG_PAGE_SCHEMA,
  SEND_LOG_QUERIES,
} from './openapi/outbox.openapi';
import {
  FIELD_ERRORS_SCHEMA,
  FORBIDDEN_RESPONSE,
  UNAUTHORIZED_RESPONSE,
} from './openapi/smtp-settings.openapi';
import { OutboxRoutesNotConfiguredError } from '../errors/outbox-routes-not-configured.error';
import { entryView, pageView, parseSendLogQuery } from './outbox-query';
import { RequestTenant } from './request-tenant';
import { SmtpSettingsAccessGuard } from './smtp-settings-access.guard';
import { SmtpSettingsExceptionFilter } from './smtp-settings-exception.filter';

/**
 * The send log routes, beside the settings routes at the same `path`, behind the same guards, tenant
 * and exception filter: every route reads and retries only the caller's tenant's messages, and an
 * id of another tenant is 404 as if it did not exist. Registered with the settings routes (routes
 * are registered before `forRootAsync`'s factory runs, so whether the outbox is configured is not
 * known then); without the `outbox` option every route answers 404 `OUTBOX_NOT_CONFIGURED`.
 */
@UseGuards(SmtpSettingsAccessGuard)
@UseFilters(SmtpSettingsExceptionFilter)
@ApiTags('SMTP outbox')
@ApiResponse(UNAUTHORIZED_RESPONSE)
@ApiResponse(FORBIDDEN_RESPONSE)
@ApiResponse(OUTBOX_NOT_FOUND_RESPONSE)
@ApiResponse(OUTBOX_UNAVAILABLE_RESPONSE)
export class OutboxController {
  constructor(@Optional() @Inject(OutboxService) private readonly outbox: OutboxService | null) {}

  @Get('messages')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'The send log, newest first: status, recipients, subject, attempts, last error',
    description: 'Never a body or an attachment. Follow nextCursor for older messages.',
  })
  @ApiQuery(SEND_LOG_QUERIES[0]!)
  @ApiQuery(SEND_LOG_QUERIES[1]!)
  @ApiQuery(SEND_LOG_QUERIES[2]!)
  @ApiResponse({ status: 200, schema: SEND_LOG_PAGE_SCHEMA })
  @ApiResponse({
    status: 400,
    description: 'Invalid status, limit or cursor',
    schema: FIELD_ERRORS_SCHEMA,
  })
  async list(@Query() query: unknown, @RequestTenant() tenant: string): Promise<SendLogPage> {
    const outbox = this.configured();
    return pageView(await outbox.list(tenant, parseSendLogQuery(query)));
  }

  @Get('messages/:id')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'One message of the send log' })
  @ApiResponse({ status: 200, schema: SEND_LOG_ENTRY_SCHEMA })
  async get(@Param('id') id: string, @RequestTenant() tenant: string): Promise<SendLogEntry> {
    const outbox = this.configured();
    // An id that cannot be a message's is null without asking the store (OutboxService.get).
    const entry = await outbox.get(id, tenant);
    // Another tenant's message is answered as one that does not exist.
    if (entry === null || entry.tenant !== tenant) throw notFound(id);
    return entryView(entry);
  }

  @Post('messages/:id/retry')
  @HttpCode(202)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Queue a failed, uncertain or held message again, with its same Message-ID',
  })
  @ApiResponse({ status: 202, description: 'Queued again', schema: RETRY_RESULT_SCHEMA })
  @ApiResponse(NOT_RETRYABLE_RESPONSE)
  async retry(@Param('id') id: string, @RequestTenant() tenant: string): Promise<EnqueueResult> {
    const outbox = this.configured();
    const { id: queued, status } = await outbox.retry(id, tenant);
    return { id: queued, status };
  }

  @Get('outbox')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary:
      'The outbox at a glance: counts by status, the oldest waiting message, the rate limit, why mail waits (held or deferred) and when it is tried next, the last 24 hours',
  })
  @ApiResponse({ status: 200, schema: OUTBOX_SUMMARY_SCHEMA })
  async summary(@RequestTenant() tenant: string): Promise<OutboxSummary> {
    const { counts, oldestWaitingAt, oldestWaitingAgeMs, rateLimit, waiting, hourly } =
      await this.configured().summary(tenant);
    return { tenant, counts, oldestWaitingAt, oldestWaitingAgeMs, rateLimit, waiting, hourly };
  }

  private configured(): OutboxService {
    if (!this.outbox) throw new OutboxRoutesNotConfiguredError();
    return this.outbox;
  }
}

/** The caller's id is echoed, cut short. */
function notFound(id: string): OutboxMessageNotFoundError {
  return new OutboxMessageNotFoundError(id.slice(0, MESSAGE_ID_MAX_LENGTH));
}

/** The send log routes at the configured route prefix, as `createSmtpSettingsController` does. */
export function createOutboxController(path: string): Type<OutboxController> {
  @Controller(path)
  class ConfiguredOutboxController extends OutboxController {}
  return ConfiguredOutboxController;
}
