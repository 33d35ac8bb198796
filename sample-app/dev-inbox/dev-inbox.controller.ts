import { Controller, Delete, Get, Header, HttpCode, NotFoundException, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import { sendPage, type PageResponse } from '../web/pages';
import { DevInbox, type DevInboxAddress, type InboxMessage } from './dev-inbox';

/**
 * What the dev inbox received. Only there while the dev inbox runs (no SMTP_RELAY_URL), and open
 * without the admin token: it is a local development tool, on a loopback address.
 */
@ApiTags('Dev inbox')
@Controller('inbox')
export class DevInboxController {
  constructor(private readonly inbox: DevInbox) {}

  @Get()
  @ApiExcludeEndpoint()
  page(@Res() res: PageResponse): void {
    this.assertEnabled();
    sendPage(res, 'inbox.html');
  }

  @Get('messages')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'The messages the dev inbox received, newest first' })
  async messages(): Promise<{
    smtp: DevInboxAddress;
    capacity: number;
    messages: InboxMessage[];
  }> {
    this.assertEnabled();
    return {
      smtp: await this.inbox.start(),
      capacity: this.inbox.capacity,
      messages: this.inbox.list(),
    };
  }

  @Delete('messages')
  @HttpCode(204)
  @ApiOperation({ summary: 'Empty the dev inbox' })
  clear(): void {
    this.assertEnabled();
    this.inbox.clear();
  }

  private assertEnabled(): void {
    if (!this.inbox.enabled) {
      throw new NotFoundException('The dev inbox is off: SMTP_RELAY_URL is set');
    }
  }
}
