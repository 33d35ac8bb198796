import { Logger } from '@nestjs/common';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ServerResponse, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { FileSmtpSettingsStore, MailerService, SmtpSettingsService } from '../../lib';
import { SecretSealer } from '../../lib/crypto/secret-sealer';
import { MicrosoftTokenProvider } from '../../lib/microsoft/microsoft-token.provider';
import type { Artifact } from './leak-scanner';

/*
 * Loaded before every test file (jest `setupFilesAfterEach`). It records what the suite produces,
 * and every secret the library handles, so that the global teardown can scan one against the other:
 * - secrets: everything SecretSealer seals, its keys, and every access token MSAL returns;
 * - artifacts: HTTP response bodies, log lines (also with `logger: false`), errors of MailerService,
 *   records and files written by the stores, and the history.
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
        for (const key of (this as unknown as { keys: Map<string, Buffer> }).keys.values())
          secrets.add(key.toString('base64'));
        return seal.apply(this, args);
      },
  );
  wrap(
    MicrosoftTokenProvider.prototype,
    'token',
    (token) =>
      async function (
        this: MicrosoftTokenProvider,
        ...args: Parameters<MicrosoftTokenProvider['token']>
      ) {
        const result = await token.apply(this, args);
        secrets.add(result.accessToken);
        return result;
      },
  );
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
        if (!url.includes('/oauth2/v2.0/token'))
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

  afterAll(() => {
    for (const undo of restore.reverse()) undo();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${testPath.replace(/[^a-z0-9]+/gi, '_')}.json`);
    writeFileSync(file, JSON.stringify({ testPath, secrets: [...secrets], artifacts }));
  });
}
