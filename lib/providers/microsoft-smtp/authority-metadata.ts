/**
 * Entra ID's OpenID configuration for a tenant, given to MSAL up front. The v2.0 endpoints follow a
 * fixed pattern on every cloud, so MSAL need not fetch them for each new client, and an unknown
 * tenant is reported by the token endpoint itself (AADSTS90002).
 */
export function authorityMetadata(authorityHost: string, tenantId: string): string {
  const base = `${authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}`;
  return JSON.stringify({
    token_endpoint: `${base}/oauth2/v2.0/token`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    issuer: `${base}/v2.0`,
  });
}
