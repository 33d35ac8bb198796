import { createPrivateKey } from 'node:crypto';
import { generate } from 'selfsigned';
import { checkClientCertificate, certificateWarnings } from './client-certificate.rules';

const DAY = 24 * 60 * 60 * 1000;

/** A self-signed certificate and its key, valid from a day ago to `days` from now. */
async function pair(days = 365, key: { keyType?: 'rsa' | 'ec'; keySize?: number } = {}) {
  const pems = await generate([{ name: 'commonName', value: 'contoso-mailer' }], {
    keyType: key.keyType ?? 'rsa',
    ...(key.keyType === 'ec' ? {} : { keySize: key.keySize ?? 2048 }),
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - (Math.abs(days) + 1) * DAY),
    notAfterDate: new Date(Date.now() + days * DAY),
  });
  return { certificate: pems.cert, privateKey: pems.private };
}

describe('checkClientCertificate', () => {
  let good: { certificate: string; privateKey: string };
  let other: { certificate: string; privateKey: string };
  beforeAll(async () => {
    [good, other] = await Promise.all([pair(), pair()]);
  });

  /** No problem may quote the key, whole or one line of it. */
  function expectNoKeyIn(problems: unknown, key: string) {
    const text = JSON.stringify(problems);
    for (const line of key.split('\n').filter((l) => l.length > 8 && !l.startsWith('-----'))) {
      expect(text).not.toContain(line);
    }
  }

  it('accepts a certificate with its PKCS#8 or PKCS#1 key, line breaks as \\n or CRLF too', () => {
    const pkcs1 = createPrivateKey(good.privateKey)
      .export({ type: 'pkcs1', format: 'pem' })
      .toString();
    for (const privateKey of [
      good.privateKey,
      pkcs1,
      good.privateKey.replace(/\n/g, '\\n'),
      good.privateKey.replace(/\n/g, '\r\n'),
    ]) {
      const checked = checkClientCertificate({ certificate: good.certificate, privateKey });
      expect(checked.problems).toEqual([]);
      expect(checked.certificate.privateKey).not.toMatch(/\\n|\r/);
    }
    const escaped = checkClientCertificate({
      certificate: good.certificate.replace(/\n/g, '\\n'),
      privateKey: good.privateKey,
    });
    expect(escaped).toEqual({ certificate: good, problems: [] });
  });

  it('refuses a key that does not belong to the certificate, naming clientCertificate', () => {
    const { problems } = checkClientCertificate({
      certificate: good.certificate,
      privateKey: other.privateKey,
    });
    expect(problems).toEqual([
      {
        field: 'clientCertificate',
        message: expect.stringContaining('the private key does not belong to this certificate'),
      },
    ]);
    expectNoKeyIn(problems, other.privateKey);
  });

  it.each([
    ['a key that is not PEM', 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'must be a private key in PEM'],
    ['a certificate pasted as the key', 'CERT', 'must be a private key in PEM'],
    ['an encrypted key', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF\n', 'is encrypted'],
  ])('refuses %s, naming clientCertificate.privateKey', (_name, privateKey, message) => {
    const key = privateKey === 'CERT' ? good.certificate : privateKey;
    const { problems } = checkClientCertificate({ certificate: good.certificate, privateKey: key });
    expect(problems).toEqual([
      { field: 'clientCertificate.privateKey', message: expect.stringContaining(message) },
    ]);
    expectNoKeyIn(problems, key);
  });

  it('refuses an RSA key under 2048 bits and a key that is not RSA', async () => {
    const [small, ec] = await Promise.all([
      pair(365, { keySize: 1024 }),
      pair(365, { keyType: 'ec' }),
    ]);
    expect(checkClientCertificate(small).problems).toEqual([
      {
        field: 'clientCertificate.privateKey',
        message:
          'clientCertificate.privateKey must be an RSA key of at least 2048 bits (this one has 1024)',
      },
    ]);
    expect(checkClientCertificate(ec).problems).toEqual([
      {
        field: 'clientCertificate.privateKey',
        message: expect.stringContaining('must be an RSA key (this one is ec)'),
      },
    ]);
  });

  it('refuses a certificate that is not PEM, naming clientCertificate.certificate', () => {
    const { problems } = checkClientCertificate({
      certificate: 'MIIDazCCAlOgAwIBAgIUE',
      privateKey: good.privateKey,
    });
    expect(problems).toEqual([
      {
        field: 'clientCertificate.certificate',
        message: expect.stringContaining(
          'must be a certificate in PEM (-----BEGIN CERTIFICATE-----',
        ),
      },
    ]);
  });

  it('refuses an expired certificate, with the date it expired', async () => {
    const expired = await pair(-2);
    const { problems } = checkClientCertificate(expired);
    expect(problems).toEqual([
      {
        field: 'clientCertificate.certificate',
        message: expect.stringMatching(
          /^clientCertificate\.certificate expired on \d{4}-\d\d-\d\d: /,
        ),
      },
    ]);
  });

  it.each([
    ['a string', 'PEM'],
    ['an array', []],
  ])('refuses %s in place of the object', (_name, value) => {
    expect(checkClientCertificate(value).problems).toEqual([
      {
        field: 'clientCertificate',
        message: 'clientCertificate must be an object with certificate and privateKey (PEM)',
      },
    ]);
  });

  it('names each missing or unknown part', () => {
    const { problems } = checkClientCertificate({ thumbprint: 'AB' });
    expect(problems).toHaveLength(3);
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          field: 'clientCertificate.thumbprint',
          message: 'property clientCertificate.thumbprint is not allowed',
        },
        {
          field: 'clientCertificate.certificate',
          message: 'clientCertificate.certificate is required',
        },
        {
          field: 'clientCertificate.privateKey',
          message: 'clientCertificate.privateKey is required',
        },
      ]),
    );
  });
});

describe('certificateWarnings', () => {
  it('warns of a certificate that expires within 30 days, and of an expired one', async () => {
    const [soon, later, expired] = await Promise.all([pair(12), pair(45), pair(-1)]);
    expect(certificateWarnings({ clientCertificate: soon })).toEqual([
      expect.stringMatching(
        /^clientCertificate expires on \d{4}-\d\d-\d\d \(in 1[23] days\): create a new certificate/,
      ),
    ]);
    expect(certificateWarnings({ clientCertificate: later })).toEqual([]);
    expect(certificateWarnings({ clientCertificate: expired })).toEqual([
      expect.stringContaining('so no mail can be sent'),
    ]);
    expect(certificateWarnings({})).toEqual([]);
    expect(certificateWarnings({ clientCertificate: { certificate: 'altered' } })).toEqual([]);
  });
});
