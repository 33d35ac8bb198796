import { Logger, type INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

/** Starts the sample app; tests call it too, so they exercise the real wiring. */
export async function bootstrap(): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  const port = Number(app.get(ConfigService).get<string>('PORT') ?? 3000);
  await app.listen(port, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  new Logger('SampleApp').log(`SMTP settings API at ${url}/smtp-settings`);
  return app;
}
