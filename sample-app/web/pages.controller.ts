import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { DevInbox, type DevInboxAddress } from '../dev-inbox/dev-inbox';
import { sendPage, type PageResponse } from './pages';

/** The admin page: plain HTML, CSS and JS from public/, no build step. */
@ApiExcludeController()
@Controller()
export class PagesController {
  constructor(private readonly inbox: DevInbox) {}

  @Get()
  admin(@Res() res: PageResponse): void {
    sendPage(res, 'admin.html');
  }

  /** What the page needs before sign-in: whether the dev inbox runs, and where. No secrets. */
  @Get('app-info')
  async info(): Promise<{ devInbox: (DevInboxAddress & { url: string }) | null }> {
    if (!this.inbox.enabled) return { devInbox: null };
    return { devInbox: { ...(await this.inbox.start()), url: '/inbox' } };
  }
}
