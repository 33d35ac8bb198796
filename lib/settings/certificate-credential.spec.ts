import { randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';
import { SecretSealer } from '../crypto/secret-sealer';
import { SettingsValidationError } from '../errors/settings-validation.error';
import type { FieldProblem } from '../interfaces/field-problem.interface';
import type { SealedSmtpSettings, SmtpSettings } from '../interfaces/smtp-settings.types';
import { secretFieldOf } from './secret-field';
import { settingsWithSecret } from './secret-reuse';
import { changedFields } from './settings-diff';
import { toSettingsView } from './settings-view';
import { TenantSecrets } from './tenant-secrets';
import { validateSmtpSettings } from './validation/validate-smtp-settings';
import { MAIL_PROVIDERS as PROVIDERS } from '../providers/mail-providers';

/** Microsoft Graph settings without a credential: each test adds one. */
const GRAPH = {
  type: 'bearer',
  provider: 'microsoft-graph',
  username: 'notifications@contoso.com',
  senderEmail: 'notifications@contoso.com',
  clientId: '0b1e2f3a-1111-4222-8333-444455556666',
  tenantId: 'contoso.onmicrosoft.com',
} as const;
const SMTP = {
  ...GRAPH,
  provider: 'microsoft',
  hostname: 'smtp.office365.com',
  port: 587,
  useTls: true,
} as const;

function problemsOf(body: unknown, stored?: SealedSmtpSettings | null): FieldProblem[] {
  try {
    validateSmtpSettings(body, PROVIDERS, stored);
  } catch (error) {
    if (error instanceof SettingsValidationError) return error.problems;
    throw error;
  }
  return [];
}

describe('Microsoft settings with a certificate credential', () => {
  let certificate: { certificate: string; privateKey: string };
  let other: { certificate: string; privateKey: string };
  const secrets = new TenantSecrets(new SecretSealer(randomBytes(32)), PROVIDERS);
  beforeAll(async () => {
    [certificate, other] = await Promise.all(
      [1, 2].map(async () => {
        const pems = await generate([{ name: 'commonName', value: 'contoso-mailer' }], {
          keySize: 2048,
          algorithm: 'sha256',
        });
        return { certificate: pems.cert, privateKey: pems.private };
      }),
    );
  });

  const sealed = (settings: object): SealedSmtpSettings =>
    secrets.seal('default', settings as SmtpSettings);

  it('accepts clientCertificate in place of clientSecret, for SMTP and Graph', () => {
    for (const base of [SMTP, GRAPH]) {
      expect(problemsOf({ ...base, clientCertificate: certificate }, null)).toEqual([]);
    }
  });

  it('refuses both credentials, and neither on first save, naming both', () => {
    expect(
      problemsOf({ ...GRAPH, clientSecret: 's~1', clientCertificate: certificate }, null),
    ).toEqual([
      {
        field: 'clientCertificate',
        message:
          'send clientSecret or clientCertificate, not both: the app signs in with one of them',
      },
    ]);
    expect(problemsOf(GRAPH, null)).toEqual([
      { field: 'clientSecret', message: 'clientSecret or clientCertificate is required' },
    ]);
  });

  it('refuses clientCertificate in Basic and Google settings by name', () => {
    const basic = { ...SMTP, type: 'basic', username: 'mailer', password: 'p' };
    const { provider: _p, clientId: _c, tenantId: _t, ...basicBody } = basic;
    expect(problemsOf({ ...basicBody, clientCertificate: certificate })).toContainEqual({
      field: 'clientCertificate',
      message: 'property clientCertificate is not allowed',
    });
  });

  it('treats clientCertificate: null as omitted', () => {
    expect(problemsOf({ ...GRAPH, clientSecret: 's~1', clientCertificate: null }, null)).toEqual(
      [],
    );
  });

  it('keeps the stored certificate when both are omitted, only for the same app and mailbox', () => {
    const stored = sealed({ ...GRAPH, clientCertificate: certificate });
    expect(problemsOf({ ...GRAPH, senderName: 'Renamed' }, stored)).toEqual([]);
    expect(
      problemsOf({ ...GRAPH, clientId: '11111111-2222-4333-8444-555555555555' }, stored),
    ).toEqual([
      {
        field: 'clientCertificate',
        message: 'clientCertificate must be re-entered because client ID changed',
      },
    ]);
    expect(problemsOf(SMTP, stored)).toEqual([
      {
        field: 'clientCertificate',
        message: 'clientCertificate must be re-entered because provider changed',
      },
    ]);
  });

  it('reuses the stored certificate with its key opened, and switches kinds only with the new one', () => {
    const stored = sealed({ ...GRAPH, clientCertificate: certificate });
    const dto = validateSmtpSettings({ ...GRAPH, senderName: 'Renamed' }, PROVIDERS, stored);
    const kept = settingsWithSecret(dto, stored, PROVIDERS, secrets.open('default', stored));
    expect(kept).toMatchObject({ senderName: 'Renamed', clientCertificate: certificate });
    const switched = settingsWithSecret(
      validateSmtpSettings({ ...GRAPH, clientSecret: 'new~1' }, PROVIDERS, stored),
      stored,
      PROVIDERS,
    );
    expect(switched).not.toHaveProperty('clientCertificate');
    expect(changedFields(stored, switched, true)).toEqual(['clientCertificate', 'clientSecret']);
    expect(changedFields(stored, kept, false)).toEqual(['senderName']);
  });

  it('seals the key bound to its certificate, and keeps the certificate readable', () => {
    const stored = sealed({ ...GRAPH, clientCertificate: certificate }) as {
      clientCertificate: { certificate: string; privateKey: string };
    };
    expect(stored.clientCertificate.certificate).toBe(certificate.certificate);
    expect(stored.clientCertificate.privateKey).toMatch(/^enc:v2:/);
    expect(secretFieldOf(stored as unknown as SealedSmtpSettings, PROVIDERS)).toBe(
      'clientCertificate.privateKey',
    );
    expect(secrets.open('default', stored as unknown as SealedSmtpSettings)).toBe(
      certificate.privateKey,
    );
    const moved = {
      ...stored,
      clientCertificate: { ...stored.clientCertificate, certificate: other.certificate },
    } as unknown as SealedSmtpSettings;
    expect(() => secrets.open('default', moved)).toThrow(
      /clientCertificate\.privateKey cannot be opened|altered/,
    );
  });

  it('shows the subject, SHA-256 thumbprint and expiry, never the key', () => {
    const view = toSettingsView(sealed({ ...SMTP, clientCertificate: certificate }), PROVIDERS);
    expect(view).toEqual({
      ...SMTP,
      clientCertificate: {
        subject: 'CN=contoso-mailer',
        thumbprintSha256: expect.stringMatching(/^[0-9A-F]{64}$/),
        notAfter: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      clientCertificateSet: true,
    });
    expect(JSON.stringify(view)).not.toContain('enc:v2');
    expect(toSettingsView(sealed({ ...SMTP, clientSecret: 's~1' }), PROVIDERS)).toEqual({
      ...SMTP,
      clientSecretSet: true,
    });
  });
});
