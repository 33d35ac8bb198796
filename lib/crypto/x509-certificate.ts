import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';

/** What a certificate credential's certificate says: for the view, the checks and MSAL. */
export interface CertificateFacts {
  /** The subject on one line, such as `CN=contoso-mailer, O=Contoso`. */
  subject: string;
  /** SHA-256 of the DER, upper-case hex without separators (the Azure portal's form; MSAL's input). */
  thumbprintSha256: string;
  notBefore: Date;
  notAfter: Date;
  /** Whether `key` is the private key of this certificate. */
  matches(key: KeyObject): boolean;
}

const BEGIN_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

/**
 * Reads the first certificate of a PEM (a chain may follow it). Throws when there is none, or it
 * cannot be parsed.
 */
export function readCertificate(pem: string): CertificateFacts {
  if (!pem.includes(BEGIN_CERTIFICATE)) throw new Error('not a PEM certificate');
  const x509 = new X509Certificate(pem);
  return {
    subject: x509.subject.split('\n').join(', '),
    thumbprintSha256: x509.fingerprint256.replace(/:/g, '').toUpperCase(),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    matches: (key) => x509.checkPrivateKey(key),
  };
}

/** The certificate's facts, or `undefined` when a stored one cannot be read (an altered record). */
export function tryReadCertificate(pem: unknown): CertificateFacts | undefined {
  if (typeof pem !== 'string') return undefined;
  try {
    return readCertificate(pem);
  } catch {
    return undefined;
  }
}

/** Reads a private key in PEM (PKCS#8 or PKCS#1); throws without echoing it. */
export function readPrivateKey(pem: string): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    // Node's message may quote what it parsed: a secret.
    throw new Error('not a PEM private key');
  }
}

/** A PEM private key that needs a passphrase (PKCS#8 encrypted, or a PKCS#1 `Proc-Type` header). */
export function isEncryptedKey(pem: string): boolean {
  return (
    pem.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----') || /Proc-Type:\s*4,ENCRYPTED/.test(pem)
  );
}

/**
 * A short digest of the certificate text, bound into its sealed key: a key moved under another
 * certificate no longer opens.
 */
export function certificateDigest(pem: string): string {
  return createHash('sha256').update(pem).digest('base64url');
}
