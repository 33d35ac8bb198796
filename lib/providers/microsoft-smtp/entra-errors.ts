import { TokenRequestFailedError } from '../../errors/token-request-failed.error';

/** Entra ID answers the admin can act on, by AADSTS code. */
const KNOWN: Record<string, { field: string; message: string }> = {
  AADSTS7000215: {
    field: 'clientSecret',
    message:
      'clientSecret is wrong: copy the secret Value (not its ID) from the app registration in the Azure portal',
  },
  AADSTS7000222: {
    field: 'clientSecret',
    message:
      'clientSecret has expired: create a new client secret in the Azure portal and enter it here',
  },
  AADSTS700027: {
    field: 'clientCertificate',
    message:
      'clientCertificate is not registered on the app (no certificate with this thumbprint): upload this certificate (cert.pem) to the app registration in the Azure portal (Certificates & secrets, Certificates), or enter the one that is there',
  },
  AADSTS700024: {
    field: 'clientCertificate',
    message:
      "clientCertificate: Entra ID found the client assertion outside its valid time range: this server's clock is off; set it right (NTP) and try again",
  },
  AADSTS7000274: {
    field: 'clientCertificate.privateKey',
    message:
      'clientCertificate.privateKey: Entra ID could not verify the client assertion with the registered certificate: enter the private key of that certificate, an RSA key of at least 2048 bits',
  },
  AADSTS700016: {
    field: 'clientId',
    message:
      'clientId: no application with this Application (client) ID exists in the tenant; check clientId and tenantId',
  },
  AADSTS90002: {
    field: 'tenantId',
    message: 'tenantId: the tenant was not found; check the Directory (tenant) ID',
  },
  AADSTS900023: {
    field: 'tenantId',
    message: 'tenantId is not a valid tenant ID or domain',
  },
};

/**
 * Turns what MSAL threw into a `TokenRequestFailedError` that names the field to fix. The raw error is
 * not kept: MSAL messages can echo request details, and nothing secret may reach a response or log.
 */
export function toMicrosoftTokenError(error: unknown): TokenRequestFailedError {
  const { errorNo, errorCode, errorMessage, message } = (error ?? {}) as Record<string, unknown>;
  const text = `${String(errorMessage ?? '')} ${String(message ?? '')}`;
  const code = errorNo ? `AADSTS${String(errorNo)}` : /AADSTS\d+/.exec(text)?.[0];
  const known = code ? KNOWN[code] : undefined;
  if (code && known)
    return new TokenRequestFailedError(code, `${known.message} (${code})`, known.field);
  if (code) {
    return new TokenRequestFailedError(
      code,
      `Microsoft Entra ID refused to issue a token (${code}); check clientId, clientSecret or clientCertificate, and tenantId`,
    );
  }
  const reason = typeof errorCode === 'string' ? errorCode : 'no answer';
  return new TokenRequestFailedError(
    'TOKEN_REQUEST_FAILED',
    `could not get a token from Microsoft Entra ID (${reason}): check the network path to the sign-in service`,
  );
}
