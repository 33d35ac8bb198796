import { ConsoleLogger, type LoggerService, type LogLevel } from '@nestjs/common';
import { SampleConfigError } from './sample-config.error';

/**
 * Nest's own start-up lines at level `log`: one per module initialized and per route mapped (26
 * with the outbox off, its four routes included, since they answer 404 OUTBOX_NOT_CONFIGURED).
 * The app announces what a newcomer needs (bootstrap.ts); `GET /docs` lists every route.
 */
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * Nest logs an error that stops start-up, stack and all, before bootstrap rethrows it. A
 * configuration error is the newcomer's to fix and main.ts prints it once, so it is left out here.
 * Nest's module and route listing is left out too; its warnings and errors are not.
 */
export class StartupLogger implements LoggerService {
  private readonly inner: LoggerService;

  constructor(option: LoggerService | LogLevel[] | undefined) {
    this.inner = Array.isArray(option)
      ? new ConsoleLogger({ logLevels: option })
      : (option ?? new ConsoleLogger());
  }

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && QUIET_CONTEXTS.has(context)) return;
    this.inner.log(message, ...rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.inner.warn(message, ...rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.inner.debug?.(message, ...rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.inner.verbose?.(message, ...rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    if (!(message instanceof SampleConfigError)) this.inner.error(message, ...rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    if (!(message instanceof SampleConfigError)) this.inner.fatal?.(message, ...rest);
  }
  setLogLevels(levels: LogLevel[]): void {
    this.inner.setLogLevels?.(levels);
  }
}
