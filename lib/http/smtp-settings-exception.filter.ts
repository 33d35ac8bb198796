import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { SmtpSettingsError } from '../errors/smtp-settings.error';

/** The one place where domain errors become HTTP responses; no route maps them by hand. */
@Catch(SmtpSettingsError)
export class SmtpSettingsExceptionFilter implements ExceptionFilter<SmtpSettingsError> {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: SmtpSettingsError, host: ArgumentsHost): void {
    const body = {
      statusCode: error.status,
      code: error.code,
      message: error.message,
      ...error.toResponse(),
    };
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, error.status);
  }
}
