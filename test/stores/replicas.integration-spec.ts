import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { filter, firstValueFrom, timeout } from 'rxjs';
import request from 'supertest';
import {
  MailerService,
  PostgresSmtpSettingsStore,
  SmtpSettingsService,
  type SmtpSettingsChangeEvent,
} from '../../lib';
import { ADMIN_TOKEN } from '../fixtures/admin.guard';
import {
  backendsNamed,
  eventually,
  TEST_DATABASE_URL,
  terminateBackends,
  testSchema,
  uniqueName,
} from '../fixtures/postgres';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const USERS = { mailer: 'mailer-password' };
const quiet = { log() {}, warn() {}, error() {} };

describe('Several replicas sharing one PostgreSQL database', () => {
  const schema = testSchema('smtp_replicas');
  // The replicas of one deployment share the key: each must open what another sealed.
  const encryptionKey = randomBytes(32).toString('base64');
  const listenerOfB = uniqueName('replica_b_listener');
  const pools: Pool[] = [];
  let a: SettingsApp;
  let b: SettingsApp;
  let first: SmtpPeer;
  let second: SmtpPeer;

  async function replica(
    options: Partial<ConstructorParameters<typeof PostgresSmtpSettingsStore>[0]>,
  ) {
    const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
    pools.push(pool);
    const store = new PostgresSmtpSettingsStore({
      pool,
      schema: schema.name,
      logger: quiet,
      ...options,
    });
    return createSettingsApp({ store, encryptionKey });
  }

  beforeAll(async () => {
    [first, second] = await Promise.all([
      startSmtpPeer({ users: USERS }),
      startSmtpPeer({ users: USERS }),
    ]);
    a = await replica({ listenerApplicationName: uniqueName('replica_a_listener') });
    // Slow to reconnect, so that the changes of the last test certainly happen while B is deaf.
    b = await replica({
      listenerApplicationName: listenerOfB,
      reconnect: { initialDelayMs: 300, maxDelayMs: 300 },
    });
  });

  afterAll(async () => {
    await Promise.all([a?.app.close(), b?.app.close()]);
    await Promise.all([...pools.map((pool) => pool.end()), first?.close(), second?.close()]);
    await schema.drop();
  });

  function basicFor(peer: SmtpPeer) {
    return {
      type: 'basic',
      hostname: peer.host,
      port: peer.port,
      username: 'mailer',
      password: USERS.mailer,
      senderEmail: 'noreply@example.com',
      useTls: false,
    };
  }

  function put(ctx: SettingsApp, body: object, headers: Record<string, string> = {}) {
    return request(ctx.app.getHttpServer()).put('/smtp-settings').set(AUTH).set(headers).send(body);
  }

  async function versionOf(ctx: SettingsApp): Promise<number> {
    return (await ctx.app.get(SmtpSettingsService).get()).version;
  }

  /**
   * Resolves with the change event that brings `ctx` to `version`; subscribe before the change. The
   * store does not poll, so the event comes from LISTEN/NOTIFY or not at all: the deadline only
   * bounds a failing test, and is long enough for a loaded machine.
   */
  function reaches(
    ctx: SettingsApp,
    version: number,
    ms = 30_000,
  ): Promise<SmtpSettingsChangeEvent> {
    return firstValueFrom(
      ctx.app.get(SmtpSettingsService).changes$.pipe(
        filter((event) => event.version >= version),
        timeout(ms),
      ),
    );
  }

  it("sends B's next message through the server an admin just saved on A, told by a notification", async () => {
    for (const [peer, version] of [
      [first, 1],
      [second, 2],
    ] as const) {
      const followed = reaches(b, version);
      await put(a, basicFor(peer)).expect(200);
      const event = await followed;

      expect(event).toMatchObject({ version, source: 'custom', origin: 'store' });
      const sent = await b.app
        .get(MailerService)
        .send({ to: 'user@example.com', subject: `via B, version ${version}`, text: 'x' });
      expect(sent).toMatchObject({ route: 'custom', settingsVersion: version });
      // B opened the password that A sealed, and logged in with it.
      const [message] = await peer.waitForMessages(1);
      expect(message).toMatchObject({ user: 'mailer' });
      expect(message!.headers.subject).toBe(`via B, version ${version}`);
    }
    expect(first.messages).toHaveLength(1);
    expect(second.messages).toHaveLength(1);
  });

  it('lets exactly one of two admins saving at once on different replicas win; the other gets 412', async () => {
    const version = await versionOf(a);
    expect(await versionOf(b)).toBe(version);
    const ifMatch = { 'If-Match': `"${version}"` };
    const followedByA = reaches(a, version + 1);
    const followedByB = reaches(b, version + 1);

    const [onA, onB] = await Promise.all([
      put(a, basicFor(first), { ...ifMatch, 'X-Admin-Name': 'admin-a' }),
      put(b, basicFor(second), { ...ifMatch, 'X-Admin-Name': 'admin-b' }),
    ]);

    expect([onA.status, onB.status].sort()).toEqual([200, 412]);
    const [winner, loser] = onA.status === 200 ? ['admin-a', onB] : ['admin-b', onA];
    expect(loser.body).toMatchObject({ code: 'VERSION_CONFLICT', currentVersion: version + 1 });
    await Promise.all([followedByA, followedByB]);

    // Both replicas agree on the winner, and the loser left no trace in the history.
    const history = await request(a.app.getHttpServer())
      .get('/smtp-settings/history')
      .set(AUTH)
      .expect(200);
    expect(history.body).toHaveLength(version + 1);
    expect(history.body[0]).toMatchObject({ version: version + 1, by: winner });
    for (const ctx of [a, b]) {
      const state = await request(ctx.app.getHttpServer()).get('/smtp-settings').set(AUTH);
      expect(state.body).toMatchObject({ version: version + 1, updatedBy: winner });
    }
  });

  it('catches up with changes made while its listener connection was down', async () => {
    const version = await versionOf(b);
    const [killed] = await terminateBackends(schema.pool, listenerOfB);
    expect(killed).toEqual(expect.any(Number));
    await eventually(
      async () => (await backendsNamed(schema.pool, listenerOfB)).length === 0,
      "B's listener backend to go",
    );

    const followed = reaches(b, version + 2);
    await put(a, basicFor(first)).expect(200);
    await put(a, basicFor(second)).expect(200);
    await expect(followed).resolves.toMatchObject({ version: version + 2, origin: 'store' });

    expect(await versionOf(b)).toBe(version + 2);
    const sent = await b.app.get(MailerService).send({ to: 'user@example.com', text: 'latest' });
    expect(sent.settingsVersion).toBe(version + 2);
    expect(second.messages.at(-1)?.raw.toString()).toContain('latest');
    const listeners = await backendsNamed(schema.pool, listenerOfB);
    expect(listeners).toHaveLength(1);
    expect(listeners[0]).not.toBe(killed);
  });
});
