import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSampleEnv } from '../../sample-app/sample.config';
import { appCertificate, type AppCertificate } from '../fixtures/app-certificate';
import { FakeEntraId } from '../fixtures/fake-entra-id';
import { startSampleApp, type SampleAppHarness } from '../fixtures/sample-app-harness';
import { startSmtpPeer, type SmtpPeer } from '../fixtures/smtp-peer';

const MAILBOX = 'notifications@contoso.onmicrosoft.com';
const APP = {
  tenantId: '9a8b7c6d-aaaa-4bbb-8ccc-ddddeeeeffff',
  clientId: '0b1e2f3a-1111-4222-8333-444455556666',
};

/**
 * TLS_CA_FILE: the sample app trusts a private CA beside the system's, for an SMTP server and an
 * identity endpoint behind it, here the tests' throwaway CA of the fake Entra ID and the SMTP peer.
 */
describe('The sample app with TLS_CA_FILE', () => {
  let dir: string;
  let entra: FakeEntraId;
  let peer: SmtpPeer;
  let certificate: AppCertificate;
  const apps: SampleAppHarness[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sample-ca-'));
    certificate = await appCertificate({ commonName: 'contoso-mailer' });
    entra = await FakeEntraId.start();
    entra.register({ ...APP, certificates: [certificate.certificate] });
    peer = await startSmtpPeer({
      tls: 'starttls',
      authMethods: ['XOAUTH2'],
      onAuth: entra.smtpAuth(MAILBOX),
    });
    await writeFile(join(dir, 'ca.pem'), entra.ca);
    await writeFile(join(dir, 'not-a-ca.pem'), 'hello');
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await Promise.all([peer.close(), entra.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (caFile?: string) => {
    const app = await startSampleApp({
      INSTALLED_UPGRADES: 'smtp-oauth',
      MICROSOFT_AUTHORITY_HOST: entra.authorityHost,
      ...(caFile ? { TLS_CA_FILE: caFile } : {}),
    });
    apps.push(app);
    return app;
  };
  const body = () => ({
    type: 'bearer',
    provider: 'microsoft',
    hostname: peer.host,
    port: peer.port,
    useTls: true,
    username: MAILBOX,
    senderEmail: MAILBOX,
    ...APP,
    clientCertificate: { certificate: certificate.certificate, privateKey: certificate.privateKey },
  });

  it('refuses a file that cannot be read or holds no certificate, naming the variable', () => {
    const parse = (file: string) => () => parseSampleEnv({ ADMIN_TOKEN: 't', TLS_CA_FILE: file });
    expect(parse(join(dir, 'missing.pem'))).toThrow(
      `TLS_CA_FILE ${join(dir, 'missing.pem')} cannot be read (ENOENT)`,
    );
    expect(parse(join(dir, 'not-a-ca.pem'))).toThrow(
      `TLS_CA_FILE ${join(dir, 'not-a-ca.pem')} holds no PEM certificate`,
    );
    expect(parseSampleEnv({ ADMIN_TOKEN: 't', TLS_CA_FILE: join(dir, 'ca.pem') }).tlsCa).toBe(
      entra.ca,
    );
  });

  it('verifies and sends a test email with a certificate credential through servers of that CA', async () => {
    const app = await start(join(dir, 'ca.pem'));
    expect((await app.call('PUT', '/smtp-settings', body())).status).toBe(200);
    const verify = await app.call('POST', '/smtp-settings/verify');
    expect(verify.body).toMatchObject({ ok: true });
    const before = peer.messages.length;
    const sent = await app.call('POST', '/smtp-settings/test-email', { to: 'admin@example.com' });
    expect(sent.body).toMatchObject({ ok: true });
    await peer.waitForMessages(before + 1);
  });

  it('without it, the same servers are not trusted: the sign-in step says so', async () => {
    const app = await start();
    expect((await app.call('PUT', '/smtp-settings', body())).status).toBe(200);
    const verify = await app.call('POST', '/smtp-settings/verify');
    expect(verify.body).toMatchObject({ ok: false, stage: 'token' });
  });
});
