import { Body, Controller, HttpCode, Post, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { MailerService, SmtpSettingsExceptionFilter } from '../../lib';
import type { SampleAdmin } from '../admin-token';
import { AdminTokenGuard } from '../admin-token.guard';
import { CurrentAdmin } from '../current-admin.decorator';
import { fieldValidationPipe } from '../validation.pipe';
import { NotificationDto } from './notification.dto';

export interface NotificationResult {
  messageId: string;
  route: 'relay' | 'custom';
  accepted: string[];
  rejected: string[];
}

/**
 * A stand-in for the product's own mail: whatever the caller's tenant configured, it goes out
 * through `MailerService` for that tenant. Over the relay, more than 50 recipients are refused with 422. Every failure is
 * a domain error that the library's filter answers, with what to change in its message.
 */
@ApiTags('Notifications (sample)')
@Controller('notifications')
@UseGuards(AdminTokenGuard)
@UseFilters(SmtpSettingsExceptionFilter)
@UsePipes(fieldValidationPipe())
export class NotificationsController {
  constructor(private readonly mailer: MailerService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a notification through the configured SMTP server or the relay' })
  @ApiResponse({ status: 202, description: 'Accepted by the SMTP server' })
  @ApiResponse({ status: 400, description: 'Invalid fields: errors[] names each one' })
  @ApiResponse({ status: 422, description: 'More recipients than the relay accepts (50)' })
  @ApiResponse({
    status: 502,
    description:
      'The SMTP server refused the message or could not be reached (message: what to change), or DELIVERY_UNCERTAIN: it may have accepted the message, so resending may deliver it twice',
  })
  @ApiResponse({
    status: 503,
    description:
      'Mail cannot go out because of the configuration: no server, an upgrade removed, a secret to enter again',
  })
  async send(
    @Body() body: NotificationDto,
    @CurrentAdmin() admin: SampleAdmin,
  ): Promise<NotificationResult> {
    const { messageId, route, accepted, rejected } = await this.mailer.send(
      {
        to: body.to,
        cc: body.cc,
        bcc: body.bcc,
        subject: body.subject,
        text: body.text,
        html: body.html,
      },
      { tenant: admin.tenantId },
    );
    return { messageId, route, accepted, rejected };
  }
}
