import { Controller, Get, Inject, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OperatorTokenGuard } from '../operator-token.guard';
import { STARTED_TELEMETRY, type StartedTelemetry } from './started-telemetry';

/**
 * `GET /metrics` in Prometheus's text format, on the app's own port behind the default tenant's
 * admin token: one port to expose and one secret to manage, where the exporter's own server would
 * publish every tenant's figures to whoever reaches that port.
 */
@ApiExcludeController()
@Controller('metrics')
@UseGuards(OperatorTokenGuard)
export class MetricsController {
  constructor(@Inject(STARTED_TELEMETRY) private readonly telemetry: StartedTelemetry) {}

  @Get()
  scrape(@Req() req: IncomingMessage, @Res() res: ServerResponse): void {
    this.telemetry.metricsHandler!(req, res);
  }
}
