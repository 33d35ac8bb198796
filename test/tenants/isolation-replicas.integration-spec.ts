import type { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { MailerService, SmtpSettingsService } from '../../lib';
import { testSchema } from '../fixtures/postgres';
import { CapturingLogger, createTenantApp } from '../fixtures/tenant-app';
import {
  basicOf,
  clientOf,
  closeTenantServers,
  markersOfB,
  moduleOptions,
  postgresStore,
  startTenantServers,
  TOKEN,
  type Client,
  type CountingPostgresStore,
  type TenantServers,
} from '../fixtures/tenant-isolation-kit';
import { TenantObserver } from '../fixtures/tenant-observer';

const MESSAGE = { to: 'someone@example.com', subject: 'Isolation', text: 'x' };

interface Replica {
  app: INestApplication;
  store: CountingPostgresStore;
  call: Client;
}

describe('Two tenants on two replicas sharing one PostgreSQL store', () => {
  const logger = new CapturingLogger();
  const observer = new TenantObserver(logger, 'acme');
  const schema = testSchema('smtp_tenant_replicas');
  const encryptionKey = randomBytes(32).toString('base64');
  let servers: TenantServers;
  let replicas: Replica[] = [];

  beforeAll(async () => {
    servers = await startTenantServers();
    for (let i = 0; i < 2; i++) {
      const store = postgresStore(schema.name, logger);
      const app = await createTenantApp(store, logger, moduleOptions(encryptionKey));
      observer.follow(app);
      replicas.push({ app, store, call: clientOf(app, observer) });
    }
    const [first, second] = replicas as [Replica, Replica];
    expect((await first.call(TOKEN.globex, 'put', '', basicOf(servers, 'globex'))).status).toBe(
      200,
    );
    expect((await first.call(TOKEN.acme, 'put', '', basicOf(servers, 'acme'))).status).toBe(200);
    observer.setMarkers(await markersOfB(servers, first.store));
    // Replica 2 holds both tenants, and B's channel is open there.
    expect((await second.call(TOKEN.acme, 'get', '')).body.version).toBe(1);
    expect((await second.call(TOKEN.globex, 'get', '')).body.version).toBe(1);
    await second.app.get(MailerService).send(MESSAGE, { tenant: 'globex' });
    await servers.b.waitForMessages(1);
  });
  beforeEach(() => observer.watch());
  afterAll(async () => {
    observer.close();
    await Promise.all(replicas.map((r) => r.app.close()));
    replicas = [];
    await closeTenantServers(servers);
    await schema.drop();
  });

  it("brings A's change on replica 1 to replica 2 for A only: B's record, reads and channel there stay", async () => {
    const [first, second] = replicas as [Replica, Replica];
    second.store.gets.clear();
    const reached = firstValueFrom(
      second.app.get(SmtpSettingsService).changes$.pipe(
        filter((e) => e.tenant === 'acme'),
        timeout(5000),
      ),
    );
    const saved = await first.call(
      TOKEN.acme,
      'put',
      '',
      basicOf(servers, 'acme', { senderName: 'Acme 2' }),
    );
    expect(saved.status).toBe(200);
    expect(await reached).toMatchObject({ tenant: 'acme', version: 2, origin: 'store' });
    const onSecond = await second.call(TOKEN.acme, 'get', '');
    expect(onSecond.body).toMatchObject({ version: 2, settings: { senderName: 'Acme 2' } });
    expect(second.store.gets.get('globex') ?? 0).toBe(0);
    expect(observer.leaks()).toEqual([]);

    const connections = servers.bAlias.connections;
    expect((await second.call(TOKEN.globex, 'get', '')).body.version).toBe(1);
    await second.app.get(MailerService).send(MESSAGE, { tenant: 'globex' });
    await servers.b.waitForMessages(2);
    // B's pooled connection on replica 2 carried it: A's change retired nothing of B's.
    expect(servers.bAlias.connections).toBe(connections);
  });
});
