import {
  isEncryptedKey,
  readCertificate,
  readPrivateKey,
  tryReadCertificate,
  type CertificateFacts,
} from '../../crypto/x509-certificate';
import type { KeyObject } from 'node:crypto';
import type { FieldProblem } from '../../interfaces/field-problem.interface';
import type { ClientCertificate } from '../../interfaces/smtp-settings.types';
import { checkDto } from '../../internal/validate-dto';
import { ClientCertificateDto } from './client-certificate.dto';

/** Entra ID, and jsonwebtoken under MSAL, refuse RSA keys shorter than this. */
export const MIN_RSA_BITS = 2048;
/** A certificate that expires sooner than this is saved with a warning. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
const RENEW =
  'create a new certificate, upload it to the app registration (Certificates & secrets, Certificates) and enter it here';

/**
 * Checks the `clientCertificate` of a body: an object with both PEMs, an RSA key of 2048 bits or
 * more that belongs to the certificate, and a certificate that has not expired. Problems name
 * `clientCertificate.certificate`, `clientCertificate.privateKey`, or `clientCertificate` for what
 * the two say together; none echoes the key.
 */
export function checkClientCertificate(
  value: unknown,
  now = Date.now(),
): { certificate: ClientCertificate; problems: FieldProblem[] } {
  const { dto, problems } = checkDto(ClientCertificateDto, value, ['certificate', 'privateKey']);
  const named = problems.map(({ field, message }) =>
    field === 'body'
      ? {
          field: 'clientCertificate',
          message: 'clientCertificate must be an object with certificate and privateKey (PEM)',
        }
      : {
          field: `clientCertificate.${field}`,
          message: message.replace(/^property /, 'property clientCertificate.'),
        },
  );
  const certificate = { certificate: dto.certificate, privateKey: dto.privateKey };
  if (named.length > 0) return { certificate, problems: named };
  return { certificate, problems: pairProblems(certificate, now) };
}

function pairProblems({ certificate, privateKey }: ClientCertificate, now: number): FieldProblem[] {
  const problems: FieldProblem[] = [];
  let facts: CertificateFacts | undefined;
  try {
    facts = readCertificate(certificate);
  } catch {
    problems.push({
      field: 'clientCertificate.certificate',
      message:
        'clientCertificate.certificate must be a certificate in PEM (-----BEGIN CERTIFICATE----- …), such as the cert.pem that openssl req -x509 writes',
    });
  }
  const key = keyOf(privateKey, problems);
  if (facts && facts.notAfter.getTime() <= now) {
    problems.push({
      field: 'clientCertificate.certificate',
      message: `clientCertificate.certificate expired on ${dayOf(facts.notAfter)}: Entra ID refuses it; ${RENEW}`,
    });
  }
  if (facts && key && !facts.matches(key)) {
    problems.push({
      field: 'clientCertificate',
      message:
        'clientCertificate: the private key does not belong to this certificate (enter the key that was created with it)',
    });
  }
  return problems;
}

/** The key, when it is an unencrypted RSA key of 2048 bits or more; else its problem is pushed. */
function keyOf(pem: string, problems: FieldProblem[]): KeyObject | undefined {
  const problem = (message: string) => {
    problems.push({ field: 'clientCertificate.privateKey', message });
    return undefined;
  };
  if (isEncryptedKey(pem)) {
    return problem(
      'clientCertificate.privateKey is encrypted: enter it without a passphrase (openssl pkey -in key.pem -out key-plain.pem, or -nodes when creating it)',
    );
  }
  let key: KeyObject;
  try {
    if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) throw new Error('not PEM');
    key = readPrivateKey(pem);
  } catch {
    return problem(
      'clientCertificate.privateKey must be a private key in PEM (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY----- …), such as the key.pem that openssl req -x509 writes',
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    return problem(
      `clientCertificate.privateKey must be an RSA key (this one is ${key.asymmetricKeyType ?? 'of another type'}): Entra ID verifies client assertions signed with RSA`,
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    return problem(
      `clientCertificate.privateKey must be an RSA key of at least ${MIN_RSA_BITS} bits (this one has ${bits})`,
    );
  }
  return key;
}

/**
 * What saved settings' certificate calls for: renewal when it expires within 30 days, or has
 * expired (Entra ID then refuses every token request).
 */
export function certificateWarnings(
  settings: { clientCertificate?: unknown },
  now = Date.now(),
): string[] {
  const certificate = settings.clientCertificate as { certificate?: unknown } | null | undefined;
  const facts = certificate ? tryReadCertificate(certificate.certificate) : undefined;
  if (!facts) return [];
  const left = facts.notAfter.getTime() - now;
  if (left <= 0) {
    return [
      `clientCertificate expired on ${dayOf(facts.notAfter)}: Entra ID refuses it, so no mail can be sent; ${RENEW}`,
    ];
  }
  if (left >= EXPIRY_WARNING_DAYS * DAY_MS) return [];
  const days = Math.ceil(left / DAY_MS);
  return [
    `clientCertificate expires on ${dayOf(facts.notAfter)} (in ${days} day${days === 1 ? '' : 's'}): ${RENEW} before then`,
  ];
}

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}
