import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { OperatorTokenGuard } from '../operator-token.guard';
import { MetricsController } from './metrics.controller';
import { STARTED_TELEMETRY, type StartedTelemetry } from './started-telemetry';

/** Shuts the SDK down with the app, after the library's last spans and metrics are recorded. */
@Injectable()
class TelemetryShutdown implements OnApplicationShutdown {
  constructor(@Inject(STARTED_TELEMETRY) private readonly telemetry: StartedTelemetry) {}

  onApplicationShutdown(): Promise<void> {
    return this.telemetry.shutdown();
  }
}

/** What the started SDK adds to the app: `GET /metrics` (unless OTEL_METRICS_EXPORTER=none). */
@Module({})
export class TelemetryModule {
  static forRoot(telemetry: StartedTelemetry): DynamicModule {
    return {
      module: TelemetryModule,
      providers: [
        { provide: STARTED_TELEMETRY, useValue: telemetry },
        TelemetryShutdown,
        OperatorTokenGuard,
      ],
      controllers: telemetry.metricsHandler ? [MetricsController] : [],
    };
  }
}
