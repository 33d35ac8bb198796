import { rootCertificates } from 'node:tls';
import type { SmtpTlsTrustOptions } from './tls-options.interface';

/**
 * The CAs to verify against: the system's plus `tls.ca`. Node's `ca` option replaces the system's
 * list, so a private CA for one server would otherwise cut off every publicly signed one.
 */
export function trustedCas(trust: SmtpTlsTrustOptions = {}): Array<string | Buffer> | undefined {
  return trust.ca === undefined ? undefined : [...rootCertificates, ...[trust.ca].flat()];
}
