import { rootCertificates } from 'node:tls';
import { tlsOptionsFor } from './tls-mapping';

const PRIVATE_CA = '-----BEGIN CERTIFICATE-----\nprivate\n-----END CERTIFICATE-----\n';

describe('tlsOptionsFor', () => {
  it('trusts tls.ca in addition to the system CAs, so publicly signed servers still verify', () => {
    const { tls } = tlsOptionsFor({ port: 587, useTls: true }, { ca: PRIVATE_CA });
    expect(tls?.ca).toEqual([...rootCertificates, PRIVATE_CA]);
    expect(tls?.rejectUnauthorized).toBe(true);
  });

  it('leaves the system CAs alone without tls.ca', () => {
    expect(tlsOptionsFor({ port: 465, useTls: true }).tls).toEqual({ rejectUnauthorized: true });
  });

  it('maps port 587 to required STARTTLS, 465 to implicit TLS, and TLS off to no STARTTLS at all', () => {
    expect(tlsOptionsFor({ port: 587, useTls: true })).toMatchObject({
      secure: false,
      requireTLS: true,
    });
    expect(tlsOptionsFor({ port: 465, useTls: true })).toMatchObject({ secure: true });
    expect(tlsOptionsFor({ port: 25, useTls: false })).toMatchObject({
      secure: false,
      ignoreTLS: true,
    });
  });
});
