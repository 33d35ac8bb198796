import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { Module, type DynamicModule } from '@nestjs/common';
import { AdminToken } from '../admin-token';
import { boardAuth } from './board-auth.middleware';
import { QUEUES_BOARD_PATH } from './board-credentials';
import { OutboxBoardQueues } from './outbox-board-queues';

/** Bull Board at /admin/queues, behind the admin token: loaded only with the outbox on. */
@Module({})
export class QueuesBoardModule {
  static forRoot(): DynamicModule {
    return {
      module: QueuesBoardModule,
      imports: [
        BullBoardModule.forRootAsync({
          inject: [AdminToken],
          useFactory: (tokens: AdminToken) => ({
            route: QUEUES_BOARD_PATH,
            adapter: ExpressAdapter,
            middleware: boardAuth(tokens),
            boardOptions: { uiConfig: { boardTitle: 'Outbox queue' } },
          }),
        }),
      ],
      providers: [OutboxBoardQueues],
    };
  }
}
