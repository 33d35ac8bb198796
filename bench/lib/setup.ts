import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import type { SMTPPoolOptions } from 'nodemailer';
import {
  InMemorySmtpSettingsStore,
  SmtpSettingsModule,
  type SmtpPoolOptions,
  type SmtpSettingsModuleOptions,
  type SmtpSettingsRecord,
} from '../../lib';
import { tlsOptionsFor } from '../../lib/transport/tls-mapping';
import { TestAdminGuard } from '../../test/fixtures/admin.guard';

/** The sinks' one account; every transporter in the benchmarks authenticates with it. */
export const USERS = { mailer: 'mailer-password' };
export const SENDER = 'noreply@example.com';
/** nodemailer's pool defaults, spelled out so that every side of a comparison has the same. */
export const POOL: Required<Pick<SmtpPoolOptions, 'maxConnections' | 'maxMessages'>> = {
  maxConnections: 5,
  maxMessages: 100,
};
/**
 * The pool for throughput comparisons: five connections that are never replaced. smtp-server
 * holds every greeting back 100 ms (it detects early talkers) and nodemailer waits 100 ms before
 * it replaces a connection, so with 100 messages per connection at ~3 ms a message, a third of
 * each connection's time goes to replacing it, and how the five replacements line up (they can
 * all fall at once and stall the pool) differs from pool to pool and persists across rounds,
 * which no alternation cancels. That cost belongs to the sink, not to either transport.
 */
export const THROUGHPUT_POOL: typeof POOL = { maxConnections: 5, maxMessages: 1_000_000 };
/** The header that carries a message's number, for sinks that count ids. */
export const ID_HEADER = 'X-Bench-Id';

interface Address {
  host: string;
  port: number;
}

/** Basic settings for a plaintext sink, as an admin would PUT them. */
export function basicSettings(sink: Address): Record<string, unknown> {
  return {
    type: 'basic',
    hostname: sink.host,
    port: sink.port,
    username: 'mailer',
    password: USERS.mailer,
    senderEmail: SENDER,
    useTls: false,
  };
}

/**
 * What the live transport builds for `basicSettings(sink)` (lib/transport/smtp-channel.factory.ts):
 * the same TLS mapping, authentication and pool, for raw nodemailer and @nestjs-modules/mailer.
 */
export function pooledOptions(sink: Address, pool: typeof POOL): SMTPPoolOptions {
  return {
    ...pool,
    host: sink.host,
    port: sink.port,
    ...tlsOptionsFor({ port: sink.port, useTls: false }),
    auth: { user: 'mailer', pass: USERS.mailer },
    pool: true,
  };
}

// About 1 KB of text in lines of 72 characters: a typical notification.
const BODY = Array.from({ length: 14 }, (_, i) =>
  `Line ${String(i).padStart(2, '0')} of a benchmark notification: `.padEnd(71, 'x'),
).join('\n');

/** A plain message: what both nodemailer's and @nestjs-modules/mailer's option types accept. */
export interface BenchMessage {
  from?: string;
  to: string;
  subject: string;
  text: string;
  headers: Record<string, string>;
}

/** Message number `i`; `from` is left to the settings unless given. */
export function benchMessage(i: number, from?: string): BenchMessage {
  return {
    ...(from ? { from } : {}),
    to: 'someone@example.com',
    subject: `Benchmark message ${i}`,
    text: BODY,
    headers: { [ID_HEADER]: String(i) },
  };
}

/** The in-memory store, counting reads: the settings routes must not reach it per request. */
export class CountingStore extends InMemorySmtpSettingsStore {
  gets = 0;

  override get(tenant: string): Promise<SmtpSettingsRecord | null> {
    this.gets++;
    return super.get(tenant);
  }
}

export interface BenchApp {
  app: INestApplication;
  store: CountingStore;
}

/**
 * Like test/fixtures/settings-app.ts (in-memory store, the tests' admin guard, Express, no logs),
 * plus other modules and controllers in the same app.
 */
export async function createBenchApp(
  options: Partial<SmtpSettingsModuleOptions>,
  extra: { imports?: DynamicModule[]; controllers?: Type[] } = {},
): Promise<BenchApp> {
  const store = new CountingStore();
  const moduleRef = await Test.createTestingModule({
    imports: [
      SmtpSettingsModule.forRoot({
        store,
        encryptionKey: randomBytes(32).toString('base64'),
        guards: [TestAdminGuard],
        ...options,
      }),
      ...(extra.imports ?? []),
    ],
    controllers: extra.controllers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, store };
}
