import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import * as api from '../../lib';
import { InMemorySmtpSettingsStore, SmtpSettingsModule, SmtpSettingsService } from '../../lib';
import { TenantSettings } from '../../lib/settings/tenant-settings';
import { createSettingsApp } from '../fixtures/settings-app';
import { BASIC } from '../fixtures/settings-bodies';

describe('Secrets stay inside the module', () => {
  it('gives an app that injects SmtpSettingsService no way to read a secret', async () => {
    const { app } = await createSettingsApp();
    try {
      const service = app.get(SmtpSettingsService);
      await service.update(BASIC);
      expect('getWithSecrets' in service).toBe(false);
      expect('validate' in service).toBe(false);
      const reads = await Promise.all([service.get(), service.history(), service.secretProblem()]);
      expect(reads[0]).toMatchObject({ settings: { passwordSet: true } });
      expect(JSON.stringify(reads)).not.toContain(BASIC.password);
    } finally {
      await app.close();
    }
  });

  it('exports the part that opens secrets neither from the package nor from the Nest module', async () => {
    expect(Object.values(api)).not.toContain(TenantSettings);
    expect(Reflect.getMetadata('exports', SmtpSettingsModule)).not.toContain(TenantSettings);

    @Injectable()
    class Snoop {
      constructor(@Inject(TenantSettings) readonly settings: unknown) {}
    }
    @Module({
      imports: [
        SmtpSettingsModule.forRoot({
          store: new InMemorySmtpSettingsStore(),
          encryptionKey: randomBytes(32).toString('base64'),
          routes: false,
        }),
      ],
      providers: [Snoop],
    })
    class AppModule {}
    await expect(Test.createTestingModule({ imports: [AppModule] }).compile()).rejects.toThrow(
      /can't resolve dependencies of the Snoop \(\?\)/,
    );
  });
});
