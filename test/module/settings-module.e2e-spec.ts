import { Injectable, Logger, Module, type CanActivate } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import {
  InMemorySmtpSettingsStore,
  InjectSmtpSettingsStore,
  MailerService,
  SmtpSettingsModule,
  SmtpSettingsService,
  type SmtpSettingsModuleOptions,
  type SmtpSettingsStore,
} from '../../lib';
import { TenantSettings } from '../../lib/settings/tenant-settings';
import { ADMIN_TOKEN, TestAdminGuard } from '../fixtures/admin.guard';
import { createSettingsApp } from '../fixtures/settings-app';
import { BASIC } from '../fixtures/settings-bodies';
import { startSmtpPeer } from '../fixtures/smtp-peer';

const KEY = randomBytes(32).toString('base64');
const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

describe('SmtpSettingsModule', () => {
  it('refuses to start without guards, saying how to fix it', async () => {
    const build = Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRoot({ store: new InMemorySmtpSettingsStore(), encryptionKey: KEY }),
      ],
    }).compile();
    await expect(build).rejects.toThrow(
      /no guard protects the SMTP settings routes.*allowUnauthenticated/,
    );
  });

  it('starts without guards only with allowUnauthenticated, and warns', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const ref = await Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRoot({
          store: new InMemorySmtpSettingsStore(),
          encryptionKey: KEY,
          allowUnauthenticated: true,
        }),
      ],
    }).compile();
    const app = ref.createNestApplication({ logger: false });
    await app.init();
    await request(app.getHttpServer()).get('/smtp-settings').expect(200);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('WITHOUT authentication'));
    warn.mockRestore();
    await app.close();
  });

  it('refuses a malformed encryption key, naming the option', async () => {
    const build = Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRoot({
          store: new InMemorySmtpSettingsStore(),
          encryptionKey: 'c2hvcnQ=',
          guards: [TestAdminGuard],
        }),
      ],
    }).compile();
    await expect(build).rejects.toThrow(/encryptionKey must be 32 bytes/);
  });

  it.each([
    ['corrupt', 'not json at all'],
    ['truncated', '{"format":1,"scopes":{"default":{"version":3,'],
  ])(
    'refuses to start on a %s settings file, naming it and leaving it untouched',
    async (_kind, content) => {
      const dir = await mkdtemp(join(tmpdir(), 'smtp-settings-corrupt-'));
      const dataFile = join(dir, 'smtp-settings.json');
      await writeFile(dataFile, content);
      const ref = await Test.createTestingModule({
        imports: [
          SmtpSettingsModule.forRoot({ dataFile, encryptionKey: KEY, guards: [TestAdminGuard] }),
        ],
      }).compile();
      const app = ref.createNestApplication({ logger: false });
      await expect(app.init()).rejects.toThrow(dataFile);
      expect(await readFile(dataFile, 'utf8')).toBe(content);
      await app.close();
      await rm(dir, { recursive: true, force: true });
    },
  );

  it('serves the routes under a custom path', async () => {
    const { app } = await createSettingsApp({}, 'admin/mail');
    await request(app.getHttpServer()).get('/admin/mail').set(AUTH).expect(200);
    await request(app.getHttpServer()).get('/smtp-settings').set(AUTH).expect(404);
    await app.close();
  });

  it('uses the actor option for the history', async () => {
    const { app } = await createSettingsApp({ actor: (req) => String(req.headers['x-user']) });
    await request(app.getHttpServer())
      .put('/smtp-settings')
      .set(AUTH)
      .set('X-User', 'carol')
      .send(BASIC)
      .expect(200);
    const res = await request(app.getHttpServer())
      .get('/smtp-settings/history')
      .set(AUTH)
      .expect(200);
    expect(res.body[0].by).toBe('carol');
    await app.close();
  });

  it('works with forRootAsync and useFactory, inject and imports', async () => {
    @Injectable()
    class Config {
      readonly key = KEY;
    }
    @Module({ providers: [Config], exports: [Config] })
    class ConfigHolder {}
    const ref = await Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRootAsync({
          imports: [ConfigHolder],
          inject: [Config],
          useFactory: (config: Config) => ({
            store: new InMemorySmtpSettingsStore(),
            encryptionKey: config.key,
            guards: [TestAdminGuard],
          }),
        }),
      ],
    }).compile();
    const app = ref.createNestApplication({ logger: false });
    await app.init();
    await request(app.getHttpServer()).put('/smtp-settings').set(AUTH).send(BASIC).expect(200);
    expect((await app.get(SmtpSettingsService).get()).version).toBe(1);
    await app.close();
  });

  it('works with forRootAsync and useClass, and a store class created with dependency injection', async () => {
    @Injectable()
    class StoreSpy extends InMemorySmtpSettingsStore {}
    @Injectable()
    class OptionsFactory {
      createSmtpSettingsOptions(): SmtpSettingsModuleOptions {
        return { storeClass: StoreSpy, encryptionKey: KEY, guards: [TestAdminGuard] };
      }
    }
    @Injectable()
    class Reader {
      constructor(@InjectSmtpSettingsStore() readonly store: SmtpSettingsStore) {}
    }
    const ref = await Test.createTestingModule({
      imports: [SmtpSettingsModule.forRootAsync({ useClass: OptionsFactory, isGlobal: true })],
      providers: [Reader],
    }).compile();
    const app = ref.createNestApplication({ logger: false });
    await app.init();
    await request(app.getHttpServer()).put('/smtp-settings').set(AUTH).send(BASIC).expect(200);
    const store = app.get(Reader).store;
    expect(store).toBeInstanceOf(StoreSpy);
    expect((await store.get('default'))?.version).toBe(1);
    await app.close();
  });

  it('runs every configured guard, and a guard that returns false gives 403', async () => {
    const deny: CanActivate = { canActivate: () => false };
    const { app } = await createSettingsApp({ guards: [TestAdminGuard, deny] });
    await request(app.getHttpServer()).get('/smtp-settings').set(AUTH).expect(403);
    await app.close();
  });

  it('announces changes on changes$ without any secret', async () => {
    const { app } = await createSettingsApp();
    const events: unknown[] = [];
    const sub = app.get(SmtpSettingsService).changes$.subscribe((e) => events.push(e));
    await request(app.getHttpServer()).put('/smtp-settings').set(AUTH).send(BASIC).expect(200);
    await request(app.getHttpServer()).delete('/smtp-settings').set(AUTH).expect(204);
    expect(events).toEqual([
      { tenant: 'default', version: 1, source: 'custom', origin: 'local' },
      { tenant: 'default', version: 2, source: 'relay', origin: 'local' },
    ]);
    sub.unsubscribe();
    await app.close();
  });

  it('with routes: false serves no route and needs no guard, and a worker still sends what an admin saved', async () => {
    const peer = await startSmtpPeer({ users: { mailer: 'worker-P4ss!' } });
    const store = new InMemorySmtpSettingsStore();
    const admin = await createSettingsApp({ store, encryptionKey: KEY });
    const ref = await Test.createTestingModule({
      imports: [SmtpSettingsModule.forRoot({ routes: false, store, encryptionKey: KEY })],
    }).compile();
    const worker = ref.createNestApplication({ logger: false });
    await worker.init();

    await request(worker.getHttpServer()).get('/smtp-settings').set(AUTH).expect(404);
    await request(worker.getHttpServer()).get('/smtp-settings/capabilities').set(AUTH).expect(404);
    const saved = new Promise((resolve) =>
      worker.get(SmtpSettingsService).changes$.subscribe(resolve),
    );
    await request(admin.app.getHttpServer())
      .put('/smtp-settings')
      .set(AUTH)
      .send({ ...BASIC, hostname: peer.host, port: peer.port, password: 'worker-P4ss!' })
      .expect(200);
    await saved;
    const result = await worker.get(MailerService).send({ to: 'user@example.com', text: 'hi' });
    expect(result.accepted).toEqual(['user@example.com']);
    const [message] = await peer.waitForMessages(1);
    expect(message).toMatchObject({ user: 'mailer', envelope: { from: BASIC.senderEmail } });

    await worker.close();
    await admin.app.close();
    await peer.close();
  });

  it('takes routes: false through forRootAsync too, with no guard in the options', async () => {
    const ref = await Test.createTestingModule({
      imports: [
        SmtpSettingsModule.forRootAsync({
          routes: false,
          useFactory: () => ({ store: new InMemorySmtpSettingsStore(), encryptionKey: KEY }),
        }),
      ],
    }).compile();
    const app = ref.createNestApplication({ logger: false });
    await app.init();
    await request(app.getHttpServer()).get('/smtp-settings').expect(404);
    await expect(app.get(MailerService).status()).resolves.toBeDefined();
    await app.close();
  });

  it('follows changes that another instance wrote to a shared store', async () => {
    const store = new InMemorySmtpSettingsStore();
    const a = await createSettingsApp({ store, encryptionKey: KEY });
    const b = await createSettingsApp({ store, encryptionKey: KEY });
    const seen = new Promise((resolve) =>
      b.app.get(SmtpSettingsService).changes$.subscribe(resolve),
    );
    await request(a.app.getHttpServer()).put('/smtp-settings').set(AUTH).send(BASIC).expect(200);
    expect(await seen).toMatchObject({ version: 1, origin: 'store' });
    expect((await b.app.get(TenantSettings).getWithSecrets()).settings).toMatchObject({
      password: BASIC.password,
    });
    await a.app.close();
    await b.app.close();
  });
});
