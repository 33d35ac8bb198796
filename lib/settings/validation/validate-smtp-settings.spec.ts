import { generateKeyPairSync } from 'node:crypto';
import { SettingsValidationError } from '../../errors/settings-validation.error';
import type { FieldProblem } from '../../interfaces/field-problem.interface';
import type { SealedSmtpSettings } from '../../interfaces/smtp-settings.types';
import { destinationOf, type DestinationFields } from '../secret-destination';
import { secretFieldOf } from '../secret-field';
import { toSettingsView } from '../settings-view';
import { settingsWarnings } from './smtp-settings.rules';
import { validateSmtpSettings } from './validate-smtp-settings';
import { MAIL_PROVIDERS as PROVIDERS } from '../../providers/mail-providers';

const { privateKey: PEM } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});

const GRAPH = {
  type: 'bearer',
  provider: 'microsoft-graph',
  username: 'notifications@contoso.com',
  senderEmail: 'notifications@contoso.com',
  clientId: '0b1e2f3a-1111-4222-8333-444455556666',
  clientSecret: 'graph-secret~1',
  tenantId: 'contoso.onmicrosoft.com',
};

const GOOGLE = {
  type: 'bearer',
  provider: 'google',
  hostname: 'smtp.gmail.com',
  port: 465,
  useTls: true,
  username: 'notifications@example.com',
  senderEmail: 'notifications@example.com',
  serviceAccountEmail: 'mailer@project.iam.gserviceaccount.com',
  privateKey: PEM,
};

const SEALED = 'enc:v2:k:iv:tag:ct' as const;

function problemsOf(body: unknown, stored?: SealedSmtpSettings | null): FieldProblem[] {
  try {
    validateSmtpSettings(body, PROVIDERS, stored);
  } catch (error) {
    if (error instanceof SettingsValidationError) return error.problems;
    throw error;
  }
  return [];
}

function without<T extends object>(body: T, key: keyof T): Partial<T> {
  const copy = { ...body };
  delete copy[key];
  return copy;
}

describe('settings of the three Bearer providers', () => {
  it('accepts Microsoft Graph settings, which have no server', () => {
    expect(problemsOf(GRAPH, null)).toEqual([]);
  });

  it('refuses the SMTP fields with Microsoft Graph by name, all at once', () => {
    const body = { ...GRAPH, hostname: 'smtp.office365.com', port: 587, useTls: true };
    expect(problemsOf(body)).toEqual([
      { field: 'hostname', message: 'hostname is not used with provider microsoft-graph' },
      { field: 'port', message: 'port is not used with provider microsoft-graph' },
      { field: 'useTls', message: 'useTls is not used with provider microsoft-graph' },
    ]);
  });

  it('requires the Graph sender to be the mailbox', () => {
    expect(problemsOf({ ...GRAPH, senderEmail: 'other@contoso.com' })).toContainEqual({
      field: 'senderEmail',
      message: expect.stringContaining('senderEmail must be the same as username'),
    });
  });

  it('accepts a Google private key with line breaks, and one with \\n as the JSON file writes it', () => {
    expect(problemsOf(GOOGLE, null)).toEqual([]);
    const escaped = PEM.replace(/\n/g, '\\n');
    expect(validateSmtpSettings({ ...GOOGLE, privateKey: escaped }, PROVIDERS)).toMatchObject({
      privateKey: PEM,
    });
  });

  it('refuses line breaks in every other field, also with Google', () => {
    expect(problemsOf({ ...GOOGLE, senderName: 'a\nBcc: x@y' })).toContainEqual({
      field: 'senderName',
      message: 'senderName must not contain line breaks',
    });
  });

  it('lists every missing Google field at once, naming them as the admin sees them', () => {
    const problems = problemsOf({ type: 'bearer', provider: 'google' }, null);
    expect(problems.map((p) => p.field).sort()).toEqual(
      [
        'hostname',
        'port',
        'useTls',
        'username',
        'senderEmail',
        'serviceAccountEmail',
        'privateKey',
      ].sort(),
    );
  });

  it('refuses a private key that is not an RSA PEM key, without repeating it', () => {
    const [problem] = problemsOf({ ...GOOGLE, privateKey: 'not-a-key-but-secret' });
    expect(problem).toEqual({
      field: 'privateKey',
      message: expect.stringContaining("privateKey must be the service account's private_key"),
    });
    expect(problem.message).not.toContain('not-a-key-but-secret');
  });

  it('requires TLS for Google and port 465 or 587 at smtp.gmail.com', () => {
    expect(problemsOf({ ...GOOGLE, port: 25, useTls: false })).toEqual([
      {
        field: 'useTls',
        message:
          'Bearer authentication requires useTls to be on: the Google access token must never be sent without TLS',
      },
      {
        field: 'port',
        message: 'port must be 465 (implicit TLS) or 587 (STARTTLS) for smtp.gmail.com',
      },
    ]);
  });

  it('warns when the Google token goes to another server, or Gmail may rewrite the sender', () => {
    expect(settingsWarnings(GOOGLE, PROVIDERS)).toEqual([]);
    const warnings = settingsWarnings(
      {
        ...GOOGLE,
        hostname: 'smtp.example.net',
        senderEmail: 'alias@example.com',
      },
      PROVIDERS,
    );
    expect(warnings).toEqual([
      expect.stringContaining("smtp.example.net is not Google's SMTP endpoint"),
      expect.stringContaining('"Send mail as"'),
    ]);
    expect(settingsWarnings(GRAPH, PROVIDERS)).toEqual([]);
  });

  it('names an unknown provider', () => {
    expect(problemsOf({ ...GOOGLE, provider: 'yahoo' })).toContainEqual({
      field: 'provider',
      message: 'provider must be microsoft, microsoft-graph or google',
    });
  });

  describe('secret reuse', () => {
    const storedGoogle = { ...GOOGLE, privateKey: SEALED } as SealedSmtpSettings;
    const storedGraph = { ...GRAPH, clientSecret: SEALED } as SealedSmtpSettings;

    it('keeps the stored key while nothing that decides where it goes changed', () => {
      const body = { ...without(GOOGLE, 'privateKey'), senderName: 'Renamed' };
      expect(problemsOf(body, storedGoogle)).toEqual([]);
      expect(problemsOf(without(GRAPH, 'clientSecret'), storedGraph)).toEqual([]);
    });

    it.each([
      ['service account email', { serviceAccountEmail: 'other@project.iam.gserviceaccount.com' }],
      ['username', { username: 'b@example.com', senderEmail: 'b@example.com' }],
      ['hostname', { hostname: 'smtp.example.net' }],
      ['port and TLS mode', { port: 587 }],
    ])('asks for the Google key again when %s changed', (label, change) => {
      const body = { ...without(GOOGLE, 'privateKey'), ...change };
      expect(problemsOf(body, storedGoogle)).toEqual([
        { field: 'privateKey', message: `privateKey must be re-entered because ${label} changed` },
      ]);
    });

    it.each([
      ['username', { username: 'b@contoso.com', senderEmail: 'b@contoso.com' }],
      ['client ID', { clientId: '11111111-2222-4333-8444-555555555555' }],
      ['tenant ID', { tenantId: 'fabrikam.onmicrosoft.com' }],
    ])('asks for the Graph client secret again when %s changed', (label, change) => {
      const body = { ...without(GRAPH, 'clientSecret'), ...change };
      expect(problemsOf(body, storedGraph)).toEqual([
        {
          field: 'clientSecret',
          message: `clientSecret must be re-entered because ${label} changed`,
        },
      ]);
    });

    it('asks for the secret of another provider, naming the provider', () => {
      const microsoft = {
        ...without(GRAPH, 'clientSecret'),
        provider: 'microsoft',
        hostname: 'smtp.office365.com',
        port: 587,
        useTls: true,
      };
      expect(problemsOf(microsoft, storedGraph)).toEqual([
        {
          field: 'clientSecret',
          message: 'clientSecret must be re-entered because provider changed',
        },
      ]);
      expect(problemsOf(without(GOOGLE, 'privateKey'), storedGraph)).toEqual([
        { field: 'privateKey', message: 'privateKey is required' },
      ]);
    });
  });

  it('binds each secret to the fields that decide where it goes, Microsoft SMTP as before', () => {
    expect(secretFieldOf(GOOGLE as { type: 'bearer'; provider: string }, PROVIDERS)).toBe(
      'privateKey',
    );
    expect(
      destinationOf(
        {
          type: 'bearer',
          provider: 'microsoft',
          hostname: 'SMTP.office365.com',
          port: 587,
          useTls: true,
          username: 'a@contoso.com',
          clientId: 'c',
          tenantId: 't',
        } as DestinationFields,
        PROVIDERS,
      ),
    ).toEqual({
      type: 'bearer',
      hostname: 'smtp.office365.com',
      port: 587,
      username: 'a@contoso.com',
      useTls: true,
      tlsMode: 'starttls',
      provider: 'microsoft',
      clientId: 'c',
      tenantId: 't',
    });
    expect(destinationOf({ ...GRAPH, type: 'bearer' }, PROVIDERS)).toEqual({
      type: 'bearer',
      provider: 'microsoft-graph',
      username: GRAPH.username,
      clientId: GRAPH.clientId,
      tenantId: GRAPH.tenantId,
    });
    expect(destinationOf({ ...GOOGLE, type: 'bearer' }, PROVIDERS)).toEqual({
      type: 'bearer',
      hostname: 'smtp.gmail.com',
      port: 465,
      username: GOOGLE.username,
      useTls: true,
      tlsMode: 'implicit',
      provider: 'google',
      serviceAccountEmail: GOOGLE.serviceAccountEmail,
    });
  });

  it('shows whether a key is set, never the key', () => {
    const view = toSettingsView({ ...GOOGLE, privateKey: SEALED } as SealedSmtpSettings, PROVIDERS);
    expect(view).toMatchObject({ privateKeySet: true });
    expect(view).not.toHaveProperty('privateKey');
    expect(
      toSettingsView({ ...GRAPH, clientSecret: SEALED } as SealedSmtpSettings, PROVIDERS),
    ).toEqual({
      ...without(GRAPH, 'clientSecret'),
      clientSecretSet: true,
    });
  });
});

describe('every problem of a body at once', () => {
  const BASIC = {
    type: 'basic',
    hostname: 'mail.example.com',
    port: 25,
    useTls: false,
    username: 'mailer',
    password: 'pw',
    senderEmail: 'noreply@example.com',
  };

  it('port 587 without TLS beside a bad hostname and a bad sender address', () => {
    const body = { ...BASIC, port: 587, hostname: 'not a host!', senderEmail: 'nobody' };
    const fields = problemsOf(body).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['hostname', 'senderEmail', 'useTls']));
    expect(problemsOf(body)).toContainEqual({
      field: 'useTls',
      message: 'port 587 requires useTls to be on',
    });
  });

  it('a rule that reads a broken field says nothing: a bad port is one problem, not two', () => {
    const problems = problemsOf({ ...BASIC, port: 'abc' });
    expect(problems.map((p) => p.field)).toEqual(['port']);
  });

  it('the password to re-enter beside the body’s other problems', () => {
    const stored = { ...BASIC, password: SEALED } as SealedSmtpSettings;
    // The new hostname is itself wrong: the password must be entered again all the same.
    const body = { ...without(BASIC, 'password'), hostname: 'bad host!', senderEmail: 'x' };
    expect(problemsOf(body, stored)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'senderEmail' }),
        expect.objectContaining({ field: 'hostname' }),
        { field: 'password', message: 'password must be re-entered because hostname changed' },
      ]),
    );
  });
});
