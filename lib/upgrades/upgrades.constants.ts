/** The upgrade that unlocks Bearer (OAuth 2.0) authentication for SMTP. */
export const SMTP_OAUTH_UPGRADE = {
  id: 'smtp-oauth',
  name: 'Security Enhancement - oAuth Enablement for SMTP services',
} as const;

/** Every upgrade this module knows about; any other id is most likely a typo. */
export const KNOWN_UPGRADES: ReadonlyArray<{ id: string; name: string }> = [SMTP_OAUTH_UPGRADE];
