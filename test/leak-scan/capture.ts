import { Logger } from '@nestjs/common';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ServerResponse, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import {
  FileSmtpSettingsStore,
  MailerService,
  OutboxService,
  SmtpSettingsService,
} from '../../lib';
import { SecretSealer } from '../../lib/crypto/secret-sealer';
import { MicrosoftTokenProvider } from '../../lib/providers/microsoft-smtp/microsoft-token.provider';
import { GoogleTokenProvider } from '../../lib/providers/google/google-token.provider';
import { PostgresSendLog } from '../../lib/outbox/postgres/postgres-send-log';
import { RedisSendLog } from '../../lib/outbox/redis/redis-send-log';
import { findLeaks, pemLinesOf, type Artifact } from './leak-scanner';
import { captureTelemetry } from './telemetry-capture';

/*
 * Loaded before every test file (jest `setupFilesAfterEach`). It records what the suite produces,
 * and every secret the library handles, so that the global teardown can scan one against the other:
 * - secrets: everything SecretSealer seals (each line of a PEM key too), its keys, and every
 *   access token MSAL returns (SMTP and Graph, cached or one-off) or Google issues;
 * - artifacts: HTTP response bodies, log lines (also with `logger: false`), errors of MailerService,
 *   records and files written by the stores, and the history;
 * - the outbox's send log entries (as written, and as OutboxService returns them) and its alerts,
 *   and every span attribute, event, link and metric attribute reported to a registered SDK
 *   (telemetry-capture.ts), which must hold neither a secret nor a body or attachment of a message
 *   enqueued (checked here, when the file ends: bodies are not secrets anywhere else).
 */
const dir = process.env.LEAK_SCAN_DIR;
if (dir) {
  const secrets = new Set<string>();
  const artifacts: Artifact[] = [];
  const restore: Array<() => void> = [];
  const testPath = expect.getState().testPath ?? 'unknown';

  const wrap = <T extends object, K extends keyof T>(
    target: T,
    key: K,
    make: (original: T[K]) => T[K],
  ) => {
    const original = target[key];
    target[key] = make(original);
    restore.push(() => (target[key] = original));
  };
  const text = (value: unknown) =>
    typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));

  wrap(
    SecretSealer.prototype,
    'seal',
    (seal) =>
      function (this: SecretSealer, ...args: Parameters<SecretSealer['seal']>) {
        secrets.add(args[0]);
        // A PEM key (Google's privateKey, a certificate credential's key): each line of it is a
        // secret on its own, the short last line of base64 too; only the armour lines are not.
        for (const line of pemLinesOf(args[0])) secrets.add(line);
        for (const key of (this as unknown as { keys: Map<string, Buffer> }).keys.values())
          secrets.add(key.toString('base64'));
        return seal.apply(this, args);
      },
  );
  // Every token Entra ID issues, for SMTP and for Graph, cached or one-off (verify, test-email),
  // and every token Google issues for a service account.
  type TokenRequest = { request: (...args: unknown[]) => Promise<{ accessToken: string }> };
  for (const provider of [MicrosoftTokenProvider, GoogleTokenProvider]) {
    wrap(
      provider.prototype as unknown as TokenRequest,
      'request',
      (request) =>
        async function (this: unknown, ...args: unknown[]) {
          const result = await request.apply(this, args);
          secrets.add(result.accessToken);
          return result;
        },
    );
  }
  for (const level of ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'] as const) {
    wrap(
      Logger.prototype,
      level,
      (original) =>
        function (this: Logger, ...args: unknown[]) {
          artifacts.push({ kind: 'log', where: `Logger.${level}`, text: args.map(text).join(' ') });
          return (original as (...a: unknown[]) => void).apply(this, args);
        },
    );
  }
  wrap(
    MailerService.prototype,
    'send',
    (send) =>
      async function (this: MailerService, ...args: Parameters<MailerService['send']>) {
        try {
          return await send.apply(this, args);
        } catch (error) {
          artifacts.push({
            kind: 'error',
            where: 'MailerService.send',
            text: `${(error as Error).message} ${text({ ...(error as object) })}`,
          });
          throw error;
        }
      },
  );
  wrap(
    SmtpSettingsService.prototype,
    'history',
    (history) =>
      async function (
        this: SmtpSettingsService,
        ...args: Parameters<SmtpSettingsService['history']>
      ) {
        const entries = await history.apply(this, args);
        artifacts.push({
          kind: 'history',
          where: 'SmtpSettingsService.history',
          text: text(entries),
        });
        return entries;
      },
  );
  for (const method of ['put', 'delete'] as const) {
    wrap(
      FileSmtpSettingsStore.prototype,
      method,
      (original) =>
        async function (this: FileSmtpSettingsStore, ...args: unknown[]) {
          const record = await (original as (...a: unknown[]) => Promise<unknown>).apply(
            this,
            args,
          );
          const file = this.fileOf(args[0] as string);
          artifacts.push({ kind: 'store', where: file, text: readFileSync(file, 'utf8') });
          return record;
        } as FileSmtpSettingsStore[typeof method],
    );
  }
  // Response bodies of every HTTP server in the test, except the fake Entra ID's token endpoint,
  // whose job is to hand out tokens.
  wrap(
    ServerResponse.prototype,
    'end',
    (end) =>
      function (
        this: ServerResponse & { req?: IncomingMessage; __chunks?: string[] },
        ...args: unknown[]
      ) {
        const [chunk] = args;
        const body =
          (this.__chunks ?? []).join('') +
          (chunk && typeof chunk !== 'function' ? String(chunk) : '');
        const url = this.req?.url ?? '';
        // The fake token endpoints (Entra ID's, Google's) answer with tokens by design.
        if (!url.includes('/oauth2/v2.0/token') && url !== '/token')
          artifacts.push({ kind: 'response', where: `${this.req?.method} ${url}`, text: body });
        return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
      } as ServerResponse['end'],
  );
  wrap(
    ServerResponse.prototype,
    'write',
    (write) =>
      function (this: ServerResponse & { __chunks?: string[] }, ...args: unknown[]) {
        if (args[0] && typeof args[0] !== 'function') (this.__chunks ??= []).push(String(args[0]));
        return (write as (...a: unknown[]) => boolean).apply(this, args);
      } as ServerResponse['write'],
  );

  // The outbox: what its send log keeps, what OutboxService answers, every alert; and the bodies
  // and attachments of the messages enqueued, which none of these may hold.
  const bodies = new Set<string>();
  const outboxArtifacts: Artifact[] = [];
  const outboxArtifact = (artifact: Artifact) => {
    artifacts.push(artifact);
    outboxArtifacts.push(artifact);
  };
  const alertSubscriptions: Array<{ unsubscribe(): void }> = [];
  captureTelemetry(wrap, (where, value) =>
    outboxArtifact({ kind: 'telemetry', where, text: text(value) }),
  );
  wrap(
    OutboxService.prototype,
    'enqueue',
    (enqueue) =>
      function (this: OutboxService, ...args: Parameters<OutboxService['enqueue']>) {
        for (const body of bodiesOf(args[0])) bodies.add(body);
        return enqueue.apply(this, args);
      },
  );
  for (const method of ['get', 'list', 'summary', 'retry'] as const) {
    wrap(
      OutboxService.prototype,
      method,
      (original) =>
        async function (this: OutboxService, ...args: unknown[]) {
          const result = await (original as (...a: unknown[]) => Promise<unknown>).apply(
            this,
            args,
          );
          outboxArtifact({
            kind: 'send-log',
            where: `OutboxService.${method}`,
            text: text(result),
          });
          return result;
        } as OutboxService[typeof method],
    );
  }
  wrap(
    OutboxService.prototype,
    'onModuleInit',
    (init) =>
      function (this: OutboxService) {
        alertSubscriptions.push(
          this.alerts$.subscribe((alert) =>
            outboxArtifact({ kind: 'alert', where: `alert ${alert.type}`, text: text(alert) }),
          ),
        );
        return init?.apply(this);
      },
  );
  for (const Log of [RedisSendLog, PostgresSendLog]) {
    for (const method of ['add', 'update'] as const) {
      wrap(
        Log.prototype,
        method,
        (original) =>
          async function (this: unknown, ...args: unknown[]) {
            const result = await (original as (...a: unknown[]) => Promise<unknown>).apply(
              this,
              args,
            );
            outboxArtifact({
              kind: 'send-log',
              where: `${Log.name}.${method}`,
              text: text({ written: args, result }),
            });
            return result;
          } as never,
      );
    }
  }

  afterAll(() => {
    for (const undo of restore.reverse()) undo();
    for (const subscription of alertSubscriptions) subscription.unsubscribe();
    const outboxResponses = artifacts.filter(
      // The sample app's dev inbox (/inbox/messages) shows what it received, bodies included.
      (a) => a.kind === 'response' && /(?<!\/inbox)\/(messages|outbox)\b/.test(a.where),
    );
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${testPath.replace(/[^a-z0-9]+/gi, '_')}.json`);
    writeFileSync(file, JSON.stringify({ testPath, secrets: [...secrets], artifacts }));
    // After the write, so that the secret scan still covers this file.
    const bodyLeaks = findLeaks(bodies, [...outboxArtifacts, ...outboxResponses]);
    if (bodyLeaks.length > 0) {
      const where = bodyLeaks.map((leak) => `${leak.kind} ${leak.where} (${leak.form})`);
      throw new Error(`Leak scan: a message body or attachment in the outbox's output: ${where}`);
    }
  });
}

/** The text parts and attachment contents of a message, as strings, for the body scan. */
function bodiesOf(message: unknown): string[] {
  const { text, html, attachments } = (message ?? {}) as {
    text?: unknown;
    html?: unknown;
    attachments?: Array<{ content?: unknown }>;
  };
  const found: string[] = [];
  for (const part of [text, html, ...(attachments ?? []).map((a) => a?.content)]) {
    if (typeof part === 'string') found.push(part);
    else if (Buffer.isBuffer(part)) found.push(part.toString('utf8'), part.toString('base64'));
  }
  return found;
}
