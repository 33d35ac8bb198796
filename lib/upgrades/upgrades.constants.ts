/** The upgrade that unlocks Bearer (OAuth 2.0) authentication for SMTP. */
export const SMTP_OAUTH_UPGRADE = {
  id: 'smtp-oauth',
  name: 'Security Enhancement - oAuth Enablement for SMTP services',
} as const;
