import { TokenRequestFailedError } from '../../errors/token-request-failed.error';

/** Google's answers to a JWT bearer grant that the admin can act on, by OAuth error code. */
const KNOWN: Record<string, { field: string; message: string }> = {
  unauthorized_client: {
    field: 'serviceAccountEmail',
    message:
      'Google refused: domain-wide delegation is not granted to this service account for the scope https://mail.google.com/. ' +
      "In the Google Admin console, open Security → Access and data control → API controls → Domain-wide delegation, add the service account's client ID (the number under its details, not its email) with the scope https://mail.google.com/, then wait a few minutes",
  },
  invalid_grant: {
    field: 'username',
    message:
      'Google refused the sign-in as this mailbox: the mailbox is not in the Google Workspace domain that granted the delegation, ' +
      "the service account's key was deleted (create a new JSON key and enter its private_key), or this server's clock is off (sync it with NTP)",
  },
  invalid_client: {
    field: 'serviceAccountEmail',
    message:
      'Google does not know this service account, or it is disabled: check serviceAccountEmail (the client_email of the JSON key file) and that the service account is enabled in the Google Cloud console',
  },
};

/** `invalid_grant` descriptions that point at one cause. */
const GRANT_CAUSES: ReadonlyArray<{ test: RegExp; field: string; message: string }> = [
  {
    test: /invalid email or user id/i,
    field: 'username',
    message:
      'Google refused the sign-in as this mailbox: it is not a user of the Google Workspace domain that granted the delegation; check username',
  },
  {
    test: /signature/i,
    field: 'privateKey',
    message:
      "Google refused the service account's signature: the key was deleted or belongs to another service account; create a new JSON key and enter its private_key",
  },
  {
    test: /\b(iat|exp)\b|timeframe|clock/i,
    field: 'privateKey',
    message:
      "Google refused the token request's time: this server's clock is off; sync it with NTP",
  },
];

/**
 * Turns what google-auth-library threw into a `TokenRequestFailedError` that names the field to fix,
 * with Google's OAuth error as its code. The raw error is not kept: it carries the request, whose
 * assertion is signed with the service account's key.
 */
export function toGoogleTokenError(error: unknown): TokenRequestFailedError {
  const { response, code } = (error ?? {}) as {
    response?: { status?: number; data?: unknown };
    code?: unknown;
  };
  const data = (response?.data ?? {}) as { error?: unknown; error_description?: unknown };
  const oauth = typeof data.error === 'string' ? data.error : undefined;
  const description = typeof data.error_description === 'string' ? data.error_description : '';
  if (oauth === 'invalid_grant') {
    const cause = GRANT_CAUSES.find((c) => c.test.test(description)) ?? KNOWN.invalid_grant!;
    return new TokenRequestFailedError(oauth, `${cause.message} (${oauth})`, cause.field);
  }
  const known = oauth ? KNOWN[oauth] : undefined;
  if (oauth && known) {
    return new TokenRequestFailedError(oauth, `${known.message} (${oauth})`, known.field);
  }
  if (oauth && /^[a-z_]{1,64}$/.test(oauth)) {
    return new TokenRequestFailedError(
      oauth,
      `Google refused to issue a token (${oauth}); check serviceAccountEmail, privateKey and the domain-wide delegation`,
    );
  }
  const reason = response?.status
    ? `HTTP ${response.status}`
    : typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code)
      ? code
      : 'no answer';
  return new TokenRequestFailedError(
    'TOKEN_REQUEST_FAILED',
    `could not get a token from Google (${reason}): check the network path to Google's token endpoint`,
  );
}
