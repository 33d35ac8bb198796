import { toGoogleTokenError } from './google-token-errors';

const answer = (status: number, error: string, error_description = '') => ({
  response: { status, data: { error, error_description } },
  config: { data: 'assertion=eyJ.secret.signature' },
});

describe("Google's token errors in the admin's words", () => {
  it.each([
    ['unauthorized_client', '', 'serviceAccountEmail', 'Domain-wide delegation'],
    [
      'invalid_grant',
      'Invalid email or User ID',
      'username',
      'not a user of the Google Workspace domain',
    ],
    ['invalid_grant', 'Invalid JWT Signature.', 'privateKey', 'the key was deleted'],
    [
      'invalid_grant',
      'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      'privateKey',
      "this server's clock is off",
    ],
    [
      'invalid_grant',
      'something new',
      'username',
      'the mailbox is not in the Google Workspace domain',
    ],
    ['invalid_client', 'The OAuth client was not found.', 'serviceAccountEmail', 'is disabled'],
  ])('%s (%s) names %s', (code, description, field, message) => {
    const error = toGoogleTokenError(answer(400, code, description));
    expect(error).toMatchObject({ code, field, message: expect.stringContaining(message) });
  });

  it('keeps nothing of the request, whose assertion is signed with the key', () => {
    const error = toGoogleTokenError(answer(400, 'invalid_grant', 'Invalid JWT Signature.'));
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('eyJ');
  });

  it('names an unknown refusal by its code, and no answer as a network problem', () => {
    expect(toGoogleTokenError(answer(400, 'access_denied'))).toMatchObject({
      code: 'access_denied',
      message: expect.stringContaining('Google refused to issue a token (access_denied)'),
    });
    expect(
      toGoogleTokenError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })),
    ).toMatchObject({
      code: 'TOKEN_REQUEST_FAILED',
      message: expect.stringContaining('(ECONNREFUSED)'),
    });
    expect(toGoogleTokenError({ response: { status: 503, data: 'down' } })).toMatchObject({
      code: 'TOKEN_REQUEST_FAILED',
      message: expect.stringContaining('(HTTP 503)'),
    });
  });
});
