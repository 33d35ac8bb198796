import { Pool } from 'pg';
import { MailerService, OutboxService } from '../../lib';
import {
  bareMessageId,
  listAll,
  outboxPlace,
  until,
  type OutboxPlace,
} from '../fixtures/outbox-kit';
import { TEST_DATABASE_URL } from '../fixtures/postgres';
import { startPrivateRedis, type PrivateRedis } from '../fixtures/private-redis';
import { createSettingsApp, type SettingsApp } from '../fixtures/settings-app';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

/** Bounds a failing proof only: a store that refuses one write answers again at once. */
const RECOVERY_MS = 30_000;
const RELAY_FROM = 'relay@vendor.example.com';

/**
 * The server has the message, and the store refuses the write that logs it sent (PostgreSQL's
 * "too many clients", a full Redis). Before, the worker threw that error to BullMQ, which ran the
 * job again: the entry still said `sending`, which a new attempt may take over (its worker died
 * mid-send), and the message went out twice. The write is tried again until it lands.
 */
describe('A store that refuses the write after the server took the message', () => {
  let peer: SmtpPeer;
  let ctx: SettingsApp | undefined;

  afterEach(async () => {
    await ctx?.app.close();
    ctx = undefined;
    await peer?.close();
  });

  async function start(
    place: OutboxPlace,
    outbox: Parameters<OutboxPlace['options']>[0] = {},
  ): Promise<SettingsApp> {
    return (ctx = await createSettingsApp({
      relay: { transport: `smtp://${peer.host}:${peer.port}`, from: RELAY_FROM },
      retry: { attempts: 1 },
      outbox: place.options(outbox),
    }));
  }

  async function sendOne(ctx: SettingsApp): Promise<void> {
    const { id } = await ctx.app
      .get(MailerService)
      .enqueue({ to: 'once@example.com', subject: 'Once', text: 'x' });
    const outbox$ = ctx.app.get(OutboxService);
    await until(
      async () => (await outbox$.get(id))?.status === 'sent',
      'the message logged as sent',
      RECOVERY_MS,
    );
    const [entry] = await listAll(outbox$, 'default');
    expect(peer.messages.map((m) => bareMessageId(m.headers.messageId))).toEqual([
      bareMessageId(entry!.messageId),
    ]);
    expect(entry!.attempts).toBe(1);
  }

  it('on PostgreSQL, logs it sent once it can and never sends it again', async () => {
    peer = await startSmtpPeer();
    const place = outboxPlace('postgres', 'after_send');
    const admin = new Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    try {
      // The first write of `sent` fails as a full server's would; a sequence counts across the
      // failed transaction.
      const table = `"${place.prefix}".outbox_log`;
      await admin.query(`CREATE SCHEMA IF NOT EXISTS "${place.prefix}"`);
      await admin.query(`CREATE SEQUENCE "${place.prefix}".sent_faults`);
      await admin.query(`CREATE FUNCTION "${place.prefix}".refuse_first_sent() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN
          IF NEW.status = 'sent' AND nextval('"${place.prefix}".sent_faults') = 1 THEN
            RAISE EXCEPTION 'sorry, too many clients already' USING ERRCODE = '53300';
          END IF;
          RETURN NEW;
        END $$`);
      await sendOne(
        await start(place).then(async (started) => {
          // The send log makes its tables on first use.
          await started.app.get(OutboxService).summary();
          await admin.query(`CREATE TRIGGER refuse_first_sent BEFORE UPDATE ON ${table}
            FOR EACH ROW EXECUTE FUNCTION "${place.prefix}".refuse_first_sent()`);
          return started;
        }),
      );
      const { rows } = await admin.query(`SELECT last_value FROM "${place.prefix}".sent_faults`);
      // The fault was met (once refused, then written): the proof is not vacuous.
      expect(Number(rows[0].last_value)).toBeGreaterThanOrEqual(2);
    } finally {
      await ctx?.app.close();
      ctx = undefined;
      await admin.end();
      await place.drop();
    }
  });

  it('on Redis, logs it sent once it can and never sends it again', async () => {
    const redis: PrivateRedis = await startPrivateRedis();
    const place = outboxPlace('redis', 'after_send');
    try {
      // Full as the server takes the message: the worker's next write is refused (OOM).
      await redis.admin.config('SET', 'maxmemory-policy', 'noeviction');
      let filled = false;
      peer = await startSmtpPeer({
        onData: async () => {
          if (filled) return;
          await redis.admin.config('SET', 'maxmemory', '1');
          filled = true;
        },
      });
      const sent = sendOne(await start(place, { connection: { path: redis.path } as never }));
      await until(async () => filled, 'the server to take the message', RECOVERY_MS);
      await until(
        async () => /errorstat_OOM:count=[1-9]/.test(await redis.admin.info('errorstats')),
        'a write refused',
        RECOVERY_MS,
      );
      await redis.admin.config('SET', 'maxmemory', '0');
      await sent;
    } finally {
      await ctx?.app.close();
      ctx = undefined;
      await redis.stop();
    }
  });
});
