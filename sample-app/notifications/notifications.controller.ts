import {
  BadRequestException,
  Body,
  Controller,
  Headers,
  HttpCode,
  Post,
  Res,
  UseFilters,
  UseGuards,
  UsePipes,
} from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MailerService, SmtpSettingsExceptionFilter } from '../../lib';
import type { SampleAdmin } from '../admin-token';
import { AdminTokenGuard } from '../admin-token.guard';
import { CurrentAdmin } from '../current-admin.decorator';
import { InjectSampleConfig, type SampleConfig } from '../sample.config';
import { fieldValidationPipe } from '../validation.pipe';
import { NotificationDto } from './notification.dto';

/** Sent directly (no outbox): the SMTP server accepted it. */
export interface NotificationResult {
  messageId: string;
  route: 'relay' | 'custom';
  accepted: string[];
  rejected: string[];
}

/** Enqueued in the outbox (REDIS_URL or OUTBOX=postgres): a worker delivers it. */
export interface QueuedNotification {
  id: string;
  status: 'queued';
}

/** Printable ASCII without spaces, as keys usually are (a UUID, an order number). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * A stand-in for the product's own mail: whatever the caller's tenant configured, it goes out
 * through `MailerService` for that tenant. With the outbox on, it is enqueued (202 `{ id, status }`)
 * and an `Idempotency-Key` header makes a retried request queue nothing new; without it, it is sent
 * at once. Over the relay, more than 50 recipients are refused with 422 either way. Every failure is
 * a domain error that the library's filter answers, with what to change in its message.
 */
@ApiTags('Notifications (sample)')
@Controller('notifications')
@UseGuards(AdminTokenGuard)
@UseFilters(SmtpSettingsExceptionFilter)
@UsePipes(fieldValidationPipe())
export class NotificationsController {
  constructor(
    private readonly mailer: MailerService,
    @InjectSampleConfig() private readonly config: SampleConfig,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Send a notification through the configured SMTP server or the relay; with the outbox on (REDIS_URL or OUTBOX=postgres), enqueue it',
  })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'With the outbox on: a second request with the same key (same tenant) answers the first message’s id and queues nothing. 1 to 200 printable characters.',
  })
  @ApiResponse({
    status: 202,
    description:
      'Without the outbox: accepted by the SMTP server ({ messageId, route, accepted, rejected }). With it: in the outbox ({ id, status: "queued" }), and Location names its send log entry',
  })
  @ApiResponse({ status: 400, description: 'Invalid fields: errors[] names each one' })
  @ApiResponse({ status: 422, description: 'More recipients than the relay accepts (50)' })
  @ApiResponse({
    status: 502,
    description:
      'Without the outbox: the SMTP server refused the message or could not be reached (message: what to change), or DELIVERY_UNCERTAIN: it may have accepted the message, so resending may deliver it twice',
  })
  @ApiResponse({
    status: 503,
    description:
      'Mail cannot go out because of the configuration (without the outbox), or OUTBOX_UNAVAILABLE: the outbox’s store cannot be reached and nothing was queued',
  })
  async send(
    @Body() body: NotificationDto,
    @CurrentAdmin() admin: SampleAdmin,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: { setHeader(name: string, value: string): unknown },
  ): Promise<NotificationResult | QueuedNotification> {
    const message = {
      to: body.to,
      cc: body.cc,
      bcc: body.bcc,
      subject: body.subject,
      text: body.text,
      html: body.html,
    };
    if (this.config.outbox) {
      if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
        const problem = {
          field: 'Idempotency-Key',
          message: 'Idempotency-Key must be 1 to 200 printable characters without spaces',
        };
        // The body the library's own routes answer a bad field with.
        throw new BadRequestException({
          statusCode: 400,
          code: 'INVALID_REQUEST',
          message: [problem.message],
          errors: [problem],
        });
      }
      const { id, status } = await this.mailer.enqueue(message, {
        tenant: admin.tenantId,
        idempotencyKey,
      });
      res.setHeader('Location', `/smtp-settings/messages/${encodeURIComponent(id)}`);
      return { id, status };
    }
    const { messageId, route, accepted, rejected } = await this.mailer.send(message, {
      tenant: admin.tenantId,
    });
    return { messageId, route, accepted, rejected };
  }
}
