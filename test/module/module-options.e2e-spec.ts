import { Inject, Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import {
  InMemorySmtpSettingsStore,
  SMTP_SETTINGS_MODULE_OPTIONS,
  SmtpSettingsModule,
  type SmtpSettingsModuleOptions,
  type UpgradeCenter,
} from '../../lib';
import { ADMIN_TOKEN, TestAdminGuard } from '../fixtures/admin.guard';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };

function build(options: Partial<SmtpSettingsModuleOptions>) {
  return Test.createTestingModule({
    imports: [
      SmtpSettingsModule.forRoot({
        encryptionKey: randomBytes(32).toString('base64'),
        guards: [TestAdminGuard],
        ...options,
      }),
    ],
  }).compile();
}

async function start(options: Partial<SmtpSettingsModuleOptions>): Promise<INestApplication> {
  const app = (await build(options)).createNestApplication({ logger: false });
  await app.init();
  return app;
}

async function authTypes(app: INestApplication): Promise<string[]> {
  const { body } = await request(app.getHttpServer())
    .get('/smtp-settings/capabilities')
    .set(AUTH)
    .expect(200);
  return (body as { authTypes: string[] }).authTypes;
}

describe('Module options: instances, classes and functions, told apart without guessing', () => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('creates an upgradeCenterClass with dependency injection', async () => {
    @Injectable()
    class ScopedUpgradeCenter implements UpgradeCenter {
      constructor(
        @Inject(SMTP_SETTINGS_MODULE_OPTIONS) private readonly options: SmtpSettingsModuleOptions,
      ) {}
      isInstalled(id: string): boolean {
        return this.options.defaultTenant === 'acme' && id === 'smtp-oauth';
      }
    }
    const app = await start({
      store: new InMemorySmtpSettingsStore(),
      defaultTenant: 'acme',
      upgradeCenterClass: ScopedUpgradeCenter,
    });
    apps.push(app);
    expect(await authTypes(app)).toEqual(['basic', 'bearer']);
  });

  it('calls a function given as upgrades with the upgrade id, never constructing it', async () => {
    const asked: string[] = [];
    // A plain function, which a class test by source text could not tell from an ES5 class.
    function installed(id: string): boolean {
      asked.push(new.target ? 'constructed' : id);
      return id === 'smtp-oauth';
    }
    const app = await start({ store: new InMemorySmtpSettingsStore(), upgrades: installed });
    apps.push(app);
    expect(await authTypes(app)).toEqual(['basic', 'bearer']);
    expect(asked).toContain('smtp-oauth');
    expect(asked).not.toContain('constructed');
  });

  it('uses an UpgradeCenter instance given as upgrades', async () => {
    const app = await start({
      store: new InMemorySmtpSettingsStore(),
      upgrades: { isInstalled: () => false },
    });
    apps.push(app);
    expect(await authTypes(app)).toEqual(['basic']);
  });

  it('refuses a store together with a storeClass, naming both', async () => {
    await expect(
      build({ store: new InMemorySmtpSettingsStore(), storeClass: InMemorySmtpSettingsStore }),
    ).rejects.toThrow('SmtpSettingsModule: give either store or storeClass, not both');
  });

  it('refuses upgrades together with an upgradeCenterClass, naming both', async () => {
    @Injectable()
    class NothingInstalled implements UpgradeCenter {
      isInstalled(): boolean {
        return false;
      }
    }
    await expect(
      build({
        store: new InMemorySmtpSettingsStore(),
        upgrades: ['smtp-oauth'],
        upgradeCenterClass: NothingInstalled,
      }),
    ).rejects.toThrow('SmtpSettingsModule: give either upgrades or upgradeCenterClass, not both');
  });
});
