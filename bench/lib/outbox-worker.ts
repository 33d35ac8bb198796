/**
 * A worker process of the outbox benchmark: the module with the outbox's worker and the relay to
 * the sink, nothing else. It sends 'ready' over IPC once the worker runs; SIGTERM closes it.
 * Started by `startWorkerProcess` (outbox-setup.ts) with its config as JSON in argv[2].
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { InMemorySmtpSettingsStore, SmtpSettingsModule, type OutboxOptions } from '../../lib';
import type { relayTo } from './outbox-setup';

interface WorkerConfig {
  relay: ReturnType<typeof relayTo>;
  outbox: OutboxOptions;
  encryptionKey: string;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as WorkerConfig;
  const app = await NestFactory.createApplicationContext(
    SmtpSettingsModule.forRoot({
      store: new InMemorySmtpSettingsStore(),
      encryptionKey: config.encryptionKey,
      routes: false,
      relay: config.relay,
      retry: { attempts: 1, baseDelayMs: 5 },
      outbox: { ...config.outbox, worker: true },
    }),
    { logger: ['error'] },
  );
  process.once('SIGTERM', () => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.once('disconnect', () => process.exit(0));
  process.send!('ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
