import { randomBytes } from 'node:crypto';
import { parseSampleEnv } from '../../sample-app/sample.config';
import { describeAlert } from '../../sample-app/outbox/outbox-alerts';
import { outboxJobs, type OutboxJobs } from '../fixtures/outbox-jobs';
import { TEST_REDIS_URL } from '../fixtures/outbox-kit';
import { eventually, TEST_DATABASE_URL } from '../fixtures/postgres';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { sampleOutboxPlace, type SampleOutboxPlace } from '../fixtures/sample-outbox-place';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const KEY = randomBytes(32).toString('base64');
/** One message through the sample app's queue: milliseconds when quiet, seconds when busy. */
const MESSAGE_MS = 10_000;

describe('The sample app’s outbox variables', () => {
  const parse = (env: Record<string, string>) => parseSampleEnv({ ADMIN_TOKEN: 't', ...env });

  it('keeps the direct path without REDIS_URL or OUTBOX: no Redis and no database needed', () => {
    expect(parse({}).outbox).toBeUndefined();
    expect(
      parse({ DATABASE_URL: TEST_DATABASE_URL, SMTP_SETTINGS_KEY: KEY }).outbox,
    ).toBeUndefined();
  });

  it('turns the outbox on with REDIS_URL, database index included, under OUTBOX_PREFIX', () => {
    expect(parse({ REDIS_URL: 'redis://127.0.0.1:6379/3' }).outbox).toEqual({
      backend: 'redis',
      url: 'redis://127.0.0.1:6379/3',
      prefix: 'nest_smtp_settings',
    });
    expect(
      parse({ REDIS_URL: 'rediss://cache:6380/1', OUTBOX_PREFIX: 'acme_mail' }).outbox,
    ).toEqual({ backend: 'redis', url: 'rediss://cache:6380/1', prefix: 'acme_mail' });
  });

  it('turns it on in the DATABASE_URL database with OUTBOX=postgres, even with REDIS_URL set', () => {
    const env = { DATABASE_URL: TEST_DATABASE_URL, SMTP_SETTINGS_KEY: KEY, OUTBOX: 'postgres' };
    expect(parse(env).outbox).toEqual({
      backend: 'postgres',
      url: TEST_DATABASE_URL,
      prefix: 'nest_smtp_settings',
    });
    expect(parse({ ...env, REDIS_URL: TEST_REDIS_URL }).outbox?.backend).toBe('postgres');
    expect(parse({ REDIS_URL: TEST_REDIS_URL, OUTBOX: 'off' }).outbox).toBeUndefined();
  });

  it('refuses what cannot work, naming the variable', () => {
    expect(() => parse({ OUTBOX: 'postgres' })).toThrow(
      'OUTBOX=postgres keeps the outbox in the DATABASE_URL database: set DATABASE_URL',
    );
    expect(() => parse({ OUTBOX: 'redis' })).toThrow('OUTBOX=redis needs REDIS_URL');
    expect(() => parse({ OUTBOX: 'kafka' })).toThrow('OUTBOX must be redis, postgres or off');
    expect(() => parse({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(
      'REDIS_URL must be a redis:// or rediss:// URL',
    );
    expect(() => parse({ REDIS_URL: TEST_REDIS_URL, OUTBOX_PREFIX: 'Bad-Prefix' })).toThrow(
      'OUTBOX_PREFIX must be lower-case letters',
    );
  });

  it('says in the log which way notifications go', async () => {
    const h = await startSampleApp();
    try {
      expect(h.logger.text).toContain(
        'Outbox: off; POST /notifications sends at once (set REDIS_URL, or OUTBOX=postgres with DATABASE_URL, to queue)',
      );
      const sent = await h.call('POST', '/notifications', {
        to: 'a@example.com',
        subject: 'Direct',
        text: 'x',
      });
      expect(sent.status).toBe(202);
      expect(sent.body).toMatchObject({ route: 'relay', accepted: ['a@example.com'] });
    } finally {
      await h.close();
    }
  });

  it('words every alert for an operator', () => {
    const at = new Date().toISOString();
    expect(
      describeAlert({ type: 'held', tenant: 'acme', reason: 'authentication failed', at }),
    ).toBe(
      'Mail of tenant acme is held: authentication failed. It goes out as soon as the tenant’s settings are saved again.',
    );
    expect(
      describeAlert({ type: 'backlog', tenant: 'acme', oldestWaitingAgeMs: 960_000, at }),
    ).toBe('The oldest waiting message of tenant acme has waited 960 s');
    expect(describeAlert({ type: 'recovered', tenant: 'acme', at })).toBe(
      'Mail of tenant acme goes out again',
    );
  });
});

const TOKEN = 'outbox-sample-token-4c1d';
const TOKEN_ACME = 'outbox-sample-acme-9b7e';
const RIGHT_PASSWORD = 'outbox-right-password-51aa';
const WRONG_PASSWORD = 'outbox-wrong-password-0d3c';

describe.each(['redis', 'postgres'] as const)('The sample app with the outbox (%s)', (backend) => {
  let where: SampleOutboxPlace;
  let h: SampleAppHarness;
  let peer: SmtpPeer;
  let jobs: OutboxJobs | undefined;

  beforeAll(async () => {
    where = await sampleOutboxPlace(backend, 'sample_outbox', KEY);
    peer = await startSmtpPeer({
      users: { 'acme-user': RIGHT_PASSWORD },
      serverOptions: { allowInsecureAuth: true },
    });
    h = await startSampleApp({ ...where.env, ADMIN_TOKENS: `${TOKEN_ACME}:acme` }, TOKEN);
    jobs = outboxJobs(where.queue);
  });
  afterAll(async () => {
    await jobs?.close();
    await h?.close();
    await peer?.close();
    await where?.drop();
  });

  const notify = (subject: string, headers: Record<string, string> = {}, token = TOKEN) =>
    fetch(`${h.started.urls.base}/notifications`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ to: 'ada@example.com', subject, text: 'Your report is ready.' }),
    });
  const inbox = async () =>
    (await h.call('GET', '/inbox/messages', undefined, null)).body.messages as Array<{
      subject: string;
      messageId: string | null;
    }>;
  const arrived = async (subject: string, count = 1) => {
    await eventually(
      async () => (await inbox()).filter((m) => m.subject === subject).length >= count,
      `${count} × "${subject}" in the dev inbox`,
      count * MESSAGE_MS,
    );
    return (await inbox()).filter((m) => m.subject === subject);
  };

  /**
   * Whatever a request queued is in the queue once it is answered: when none of it is left, the
   * dev inbox has everything it will ever get.
   */
  const drained = () =>
    eventually(async () => (await jobs!.unfinished()) === 0, 'the queue drained', MESSAGE_MS);

  it('logs where the outbox is, without credentials', () => {
    expect(h.logger.text).toMatch(where.where);
  });

  it('enqueues POST /notifications: 202 { id, status: "queued" }, then the worker delivers it once', async () => {
    const res = await notify('Queued report');
    expect(res.status).toBe(202);
    const body = (await res.json()) as { id: string; status: string };
    expect(body).toEqual({ id: expect.any(String), status: 'queued' });
    expect(res.headers.get('location')).toBe(`/smtp-settings/messages/${body.id}`);
    await arrived('Queued report');
    await drained();
    const [message, ...more] = (await inbox()).filter((m) => m.subject === 'Queued report');
    expect(more).toEqual([]);
    expect(message!.messageId).toMatch(/^<.+@example\.com>$/);
  });

  it('passes Idempotency-Key on: the same key answers the first id and queues nothing new', async () => {
    const key = `order-${randomBytes(4).toString('hex')}`;
    const first = (await (await notify('Once only', { 'Idempotency-Key': key })).json()) as {
      id: string;
    };
    const again = await notify('Once only', { 'Idempotency-Key': key });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ id: first.id, status: 'queued' });
    // Another tenant's key is its own.
    const acme = await notify('Once only', { 'Idempotency-Key': key }, TOKEN_ACME);
    expect(((await acme.json()) as { id: string }).id).not.toBe(first.id);
    await arrived('Once only', 2);
    await drained();
    expect((await inbox()).filter((m) => m.subject === 'Once only')).toHaveLength(2);
  });

  it('refuses a malformed Idempotency-Key and, at once, more recipients than the relay takes', async () => {
    const bad = await notify('Bad key', { 'Idempotency-Key': 'x'.repeat(201) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
    const many = await h.call('POST', '/notifications', {
      to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`),
      subject: 'Too many',
      text: 'x',
    });
    expect(many.status).toBe(422);
    expect(many.body.message).toContain('accepts at most 50');
  });

  it('holds a tenant’s mail on a wrong password, logs the alert, and sends it once the password is fixed', async () => {
    const settings = (password: string) => ({
      type: 'basic',
      hostname: peer.host,
      port: peer.port,
      username: 'acme-user',
      password,
      senderEmail: 'noreply@acme.example',
      useTls: false,
    });
    const put = async (password: string) =>
      fetch(`${h.started.urls.base}/smtp-settings`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${TOKEN_ACME}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(settings(password)),
      });
    expect((await put(WRONG_PASSWORD)).status).toBe(200);
    expect((await notify('Payslip', {}, TOKEN_ACME)).status).toBe(202);
    await eventually(
      async () => h.logger.text.includes('Mail of tenant acme is held'),
      'the held alert in the log',
      MESSAGE_MS,
    );
    // The default tenant's mail keeps flowing meanwhile.
    await notify('Still flowing');
    await arrived('Still flowing');
    expect(peer.messages).toHaveLength(0);

    expect((await put(RIGHT_PASSWORD)).status).toBe(200);
    const [payslip] = await peer.waitForMessages(1, MESSAGE_MS);
    expect(payslip!.headers.subject).toBe('Payslip');
    await eventually(
      async () => h.logger.text.includes('Mail of tenant acme goes out again'),
      'the recovered alert in the log',
      MESSAGE_MS,
    );
    for (const secret of [TOKEN, TOKEN_ACME, RIGHT_PASSWORD, WRONG_PASSWORD, KEY]) {
      expect(h.logger.text).not.toContain(secret);
    }
  });
});
