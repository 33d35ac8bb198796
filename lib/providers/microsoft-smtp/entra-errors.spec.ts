import { toMicrosoftTokenError } from './entra-errors';

/** What MSAL throws for an Entra ID refusal: the AADSTS code in `errorNo` and in the message. */
function refusal(code: number, description: string) {
  return {
    errorCode: 'invalid_client',
    errorNo: String(code),
    errorMessage: `AADSTS${code}: ${description}`,
  };
}

describe('Entra ID refusals of a certificate credential', () => {
  it.each([
    [
      700027,
      'Client assertion failed signature validation.',
      'clientCertificate',
      'is not registered on the app',
    ],
    [
      700024,
      'Client assertion is not within its valid time range.',
      'clientCertificate',
      "this server's clock is off",
    ],
    [
      7000274,
      'Client assertion contains an invalid signature.',
      'clientCertificate.privateKey',
      'at least 2048 bits',
    ],
  ])(
    'explains AADSTS%s in the admin’s words, naming the field',
    (code, description, field, words) => {
      const error = toMicrosoftTokenError(refusal(code, description));
      expect(error).toMatchObject({ code: `AADSTS${code}`, field });
      expect(error.message).toContain(words);
      expect(error.message.startsWith(field)).toBe(true);
      expect(error.message).toContain(`(AADSTS${code})`);
    },
  );

  it('names both kinds of credential for a refusal it does not know', () => {
    const error = toMicrosoftTokenError(refusal(50013, 'Assertion is invalid.'));
    expect(error.message).toContain('clientSecret or clientCertificate');
  });
});
