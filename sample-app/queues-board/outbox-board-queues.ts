import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { InjectBullBoard, type BullBoardInstance } from '@bull-board/nestjs';
import {
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { AdminToken } from '../admin-token';
import { DEFAULT_TENANT } from '../admin-tokens.config';
import { InjectSampleConfig, type SampleConfig } from '../sample.config';
import { boardAdmin, canActOnQueue } from './board-credentials';
import { openBoardQueue, type BoardQueue } from './board-queue';
import { TenantOutboxView } from './tenant-outbox-view';

/**
 * The outbox queue on the board: a full view that only the default tenant's admin sees, and for
 * every other tenant with an admin a read-only view of its own messages (TenantOutboxView: no
 * retry, clean, remove or pause, and nothing of another tenant). Bull Board asks each view, per
 * request, whether to show it: one board, one path, and the board's own API refuses a hidden view
 * (404, as an unknown one) and writes to a read-only one (405).
 */
@Injectable()
export class OutboxBoardQueues implements OnApplicationBootstrap, OnApplicationShutdown {
  private opened?: BoardQueue;

  constructor(
    @InjectBullBoard() private readonly board: BullBoardInstance,
    @InjectSampleConfig() private readonly config: SampleConfig,
    private readonly tokens: AdminToken,
  ) {}

  /** After the outbox's own start, which creates its tables on PostgreSQL. */
  onApplicationBootstrap(): void {
    const { queue } = (this.opened = openBoardQueue(this.config.outbox!));
    const full = new BullMQAdapter(queue, { displayName: 'Outbox' });
    full.setVisibilityGuard((req) => canActOnQueue(boardAdmin(this.tokens, req.headers)));
    this.board.addQueue(full);
    for (const tenant of this.tokens.tenants) {
      if (tenant === DEFAULT_TENANT) continue;
      const own = new TenantOutboxView(queue, tenant);
      own.setVisibilityGuard((req) => boardAdmin(this.tokens, req.headers)?.tenantId === tenant);
      this.board.addQueue(own);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.opened?.close();
  }
}
