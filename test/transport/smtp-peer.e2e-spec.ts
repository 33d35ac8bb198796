import { createTransport } from 'nodemailer';
import type { SMTPTransportOptions } from 'nodemailer/lib/smtp-transport';
import { startSmtpPeer, startSmtpSink } from '../fixtures/smtp-peer';
import type { SmtpPeer, SmtpPeerOptions } from '../fixtures/smtp-peer';
import { trustedTestCa, untrustedServerCert } from '../fixtures/test-ca';

const mail = {
  from: 'Sender <sender@example.test>',
  to: 'Rcpt <rcpt@example.test>',
  subject: 'Grüße ✓ from the fixture',
  text: 'hello',
};

const peers: SmtpPeer[] = [];
const transports: { close(): void }[] = [];

async function peer(options: SmtpPeerOptions = {}): Promise<SmtpPeer> {
  const started = await startSmtpPeer(options);
  peers.push(started);
  return started;
}

function transport(target: SmtpPeer, options: Partial<SMTPTransportOptions> = {}) {
  const created = createTransport({
    host: target.host,
    port: target.port,
    secure: target.tls === 'implicit',
    tls: { ca: target.ca },
    ...options,
  });
  transports.push(created);
  return created;
}

afterEach(async () => {
  transports.splice(0).forEach((t) => t.close());
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

describe('SMTP test peer with nodemailer', () => {
  it('accepts plaintext mail and records envelope, headers and secure=false', async () => {
    const plain = await peer();
    const info = await transport(plain).sendMail({
      ...mail,
      cc: 'cc@example.test',
      replyTo: 'r@example.test',
    });

    expect(info.accepted).toEqual(['rcpt@example.test', 'cc@example.test']);
    const [message] = await plain.waitForMessages(1);
    expect(message.envelope).toEqual({
      from: 'sender@example.test',
      to: ['rcpt@example.test', 'cc@example.test'],
    });
    expect(message.headers).toMatchObject({
      subject: mail.subject,
      from: 'Sender <sender@example.test>',
      to: 'Rcpt <rcpt@example.test>',
      cc: 'cc@example.test',
      replyTo: 'r@example.test',
      messageId: info.messageId,
    });
    expect(message.secure).toBe(false);
    expect(message.user).toBeUndefined();
    expect(message.raw.toString()).toContain('hello');
  });

  it('refuses STARTTLS in plaintext mode, so requireTLS fails', async () => {
    const plain = await peer({ tls: 'none' });
    await expect(transport(plain, { requireTLS: true }).sendMail(mail)).rejects.toMatchObject({
      code: 'ETLS',
    });
    expect(plain.messages).toHaveLength(0);
  });

  it('upgrades with STARTTLS and a verified certificate', async () => {
    const starttls = await peer({ tls: 'starttls' });
    await transport(starttls, { requireTLS: true }).sendMail(mail);
    const [message] = await starttls.waitForMessages(1);
    expect(message.secure).toBe(true);
  });

  it('speaks implicit TLS, verifying the DNS name in the certificate too', async () => {
    const implicit = await peer({ tls: 'implicit' });
    await transport(implicit, { host: 'localhost' }).sendMail(mail);
    const [message] = await implicit.waitForMessages(1);
    expect(message.secure).toBe(true);
  });

  it('fails verification of a certificate from another CA', async () => {
    const { ca } = await trustedTestCa();
    const cert = await untrustedServerCert();
    const starttls = await peer({ tls: 'starttls', cert });
    const implicit = await peer({ tls: 'implicit', cert });

    // Both paths fail the same way in nodemailer 10: ESOCKET during CONN, not ETLS.
    const expected = { code: 'ESOCKET', originalCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' };
    await expect(
      transport(starttls, { requireTLS: true, tls: { ca } }).sendMail(mail),
    ).rejects.toMatchObject(expected);
    await expect(transport(implicit, { tls: { ca } }).sendMail(mail)).rejects.toMatchObject(
      expected,
    );
    expect(starttls.messages).toHaveLength(0);
    expect(implicit.messages).toHaveLength(0);
  });

  it('requires AUTH when users are given: right password works, wrong gets 535', async () => {
    const authed = await peer({ tls: 'starttls', users: { alice: 's3cret' } });

    await expect(
      transport(authed, { auth: { user: 'alice', pass: 'wrong' } }).sendMail(mail),
    ).rejects.toMatchObject({ code: 'EAUTH', responseCode: 535 });
    await transport(authed, { auth: { user: 'alice', pass: 's3cret' } }).sendMail(mail);
    await expect(transport(authed).sendMail(mail)).rejects.toMatchObject({ responseCode: 530 });

    const [message] = await authed.waitForMessages(1);
    expect(message.user).toBe('alice');
    expect(authed.authAttempts).toEqual([
      { method: 'PLAIN', username: 'alice', ok: false },
      { method: 'PLAIN', username: 'alice', ok: true },
    ]);
    expect(JSON.stringify(authed.authAttempts)).not.toContain('s3cret');
  });

  it('passes onAuth through for XOAUTH2 bearer tokens', async () => {
    const oauth = await peer({
      tls: 'starttls',
      authMethods: ['XOAUTH2'],
      onAuth: (auth, _session, callback) =>
        auth.accessToken === 'good-token'
          ? callback(null, { user: auth.username })
          : callback(null, { data: { status: '401', schemes: 'bearer' } }),
    });
    const bearer = (accessToken: string) =>
      transport(oauth, { auth: { type: 'OAuth2', user: 'svc@example.test', accessToken } });

    await expect(bearer('stale-token').sendMail(mail)).rejects.toMatchObject({ code: 'EAUTH' });
    await bearer('good-token').sendMail(mail);
    const [message] = await oauth.waitForMessages(1);
    expect(message.user).toBe('svc@example.test');
    // nodemailer retries a refused XOAUTH2 login once, asking its token source to renew.
    expect(oauth.authAttempts.map((a) => [a.method, a.ok])).toEqual([
      ['XOAUTH2', false],
      ['XOAUTH2', false],
      ['XOAUTH2', true],
    ]);
  });

  it('answers the first N transactions with failFirst, then accepts', async () => {
    const flaky = await peer({ failFirst: { count: 1, code: 421, message: 'Try again later' } });
    await expect(transport(flaky).sendMail(mail)).rejects.toMatchObject({ responseCode: 421 });
    await transport(flaky).sendMail(mail);
    expect(await flaky.waitForMessages(1)).toHaveLength(1);
    expect(flaky.connections).toBe(2);
  });

  it('can fail at the end of DATA instead, and hooks see every recipient', async () => {
    const seen: string[] = [];
    const flaky = await peer({
      failFirst: { count: 2, code: 451, at: 'data' },
      onRcptTo: (address) => void seen.push(address),
    });
    for (const expected of [451, 451]) {
      await expect(transport(flaky).sendMail(mail)).rejects.toMatchObject({
        responseCode: expected,
      });
    }
    await transport(flaky).sendMail(mail);
    expect(flaky.messages).toHaveLength(1);
    expect(seen).toEqual(['rcpt@example.test', 'rcpt@example.test', 'rcpt@example.test']);
  });

  it('can stall the greeting to trip a connect-phase timeout', async () => {
    // The greeting never comes while the test runs: the client's timeout alone decides. It must
    // outlast smtp-server's own 100 ms wait for early talkers, after which the stall begins.
    const mute = await peer({ stallMs: 60_000, stallAt: 'greeting' });
    await expect(transport(mute, { greetingTimeout: 2000 }).sendMail(mail)).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    });
  });

  it('rejects recipients per address', async () => {
    const picky = await peer({
      rejectRecipients: (address) => (address.startsWith('full') ? 452 : undefined),
    });
    const info = await transport(picky).sendMail({
      ...mail,
      to: ['ok@example.test', 'full@example.test'],
    });
    expect(info.accepted).toEqual(['ok@example.test']);
    expect(info.rejected).toEqual(['full@example.test']);
    const [message] = await picky.waitForMessages(1);
    expect(message.envelope.to).toEqual(['ok@example.test']);
  });

  it('drops the connection mid-DATA for the first message only', async () => {
    const dropping = await peer({ dropMidData: 1 });
    await expect(transport(dropping).sendMail(mail)).rejects.toMatchObject({
      code: 'ECONNECTION',
    });
    await transport(dropping).sendMail(mail);
    expect(dropping.messages).toHaveLength(1);
  });

  it('stalls the reply after DATA long enough to trip a client timeout', async () => {
    // The reply never comes while the test runs, and every earlier reply comes far within 2 s
    // even on a loaded machine: only the stall can trip the timeout.
    const slow = await peer({ stallMs: 60_000 });
    await expect(transport(slow, { socketTimeout: 2000 }).sendMail(mail)).rejects.toMatchObject({
      code: 'ETIMEDOUT',
    });
    expect(slow.messages).toHaveLength(0);
  });

  it('lets an onData hook reject a message, which is then not recorded', async () => {
    const hooked = await peer({
      onData: (message) =>
        message.headers.subject ? { code: 552, message: 'Too big' } : undefined,
    });
    await expect(transport(hooked).sendMail(mail)).rejects.toMatchObject({ responseCode: 552 });
    expect(hooked.messages).toHaveLength(0);
    await expect(hooked.waitForMessages(1, 50)).rejects.toThrow(/timed out/);
  });

  it('closes with a pooled client still connected and leaves no handles open', async () => {
    const serverHandles = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    await Promise.all(peers.splice(0).map((p) => p.close()));
    let reachedMail!: () => void;
    const midTransaction = new Promise<void>((resolve) => (reachedMail = resolve));
    const target = await peer({
      tls: 'starttls',
      // MAIL FROM is never answered: a session mid-transaction.
      onMailFrom: () => {
        reachedMail();
        return new Promise<void>(() => undefined);
      },
      // smtp-server alone would wait this long for the session to end: close() must end it.
      serverOptions: { closeTimeout: 3_600_000 },
    });
    const pooled = createTransport({
      pool: true,
      host: target.host,
      port: target.port,
      requireTLS: true,
      tls: { ca: target.ca },
    });
    transports.push(pooled);
    const stuck = pooled.sendMail(mail);
    await midTransaction;
    expect(serverHandles()).toBe(1);
    expect(target.openConnections).toBe(1);

    await target.close();
    expect(target.openConnections).toBe(0);
    expect(serverHandles()).toBe(0);
    // The destroyed TLS socket reaches the client as a reset (ESOCKET) or a plain close.
    await expect(stuck).rejects.toMatchObject({
      code: expect.stringMatching(/^E(SOCKET|CONNECTION)$/),
    });
  });

  it('sink accepts and counts mail without keeping it', async () => {
    const sink = await startSmtpSink();
    const pooled = createTransport({ pool: true, host: sink.host, port: sink.port });
    try {
      await Promise.all(Array.from({ length: 20 }, () => pooled.sendMail(mail)));
      await sink.waitForMessages(20);
      expect(sink.accepted).toBe(20);
      expect(sink.bytes).toBeGreaterThan(20 * mail.text.length);
    } finally {
      pooled.close();
      await sink.close();
    }
  });
});
