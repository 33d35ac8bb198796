import { explainGraphAnswer, retryAfterMs } from './graph-errors';

const CONTEXT = { mailbox: 'notifications@contoso.com', host: 'graph.microsoft.com' };

function answer(status: number, code?: string, message = 'said', headers = {}) {
  return { status, headers, body: code ? JSON.stringify({ error: { code, message } }) : '' };
}

describe('Microsoft Graph answers in the admin words', () => {
  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(retryAfterMs(inTenSeconds)).toBeGreaterThan(8000);
  });

  it('keeps the wait of a 429 and a 503', () => {
    const throttled = explainGraphAnswer(
      answer(429, 'ApplicationThrottled', 'slow down', { 'retry-after': '3' }),
      CONTEXT,
    );
    expect(throttled).toMatchObject({
      status: 429,
      code: 'ApplicationThrottled',
      retryAfterMs: 3000,
    });
    expect(explainGraphAnswer(answer(503), CONTEXT)).toMatchObject({
      code: 'HTTP_503',
      retryAfterMs: undefined,
    });
  });

  it('marks a refused token, and a 5xx after the request as uncertain', () => {
    expect(explainGraphAnswer(answer(401, 'InvalidAuthenticationToken'), CONTEXT)).toMatchObject({
      stage: 'token',
      tokenRefused: true,
    });
    expect(explainGraphAnswer(answer(504), CONTEXT)).toMatchObject({ uncertain: true });
  });

  it('names the mailbox for a 404 without a Graph code, and the client for a bare 403', () => {
    expect(explainGraphAnswer(answer(404), CONTEXT)).toMatchObject({
      stage: 'mailbox',
      field: 'username',
    });
    expect(explainGraphAnswer(answer(403), CONTEXT)).toMatchObject({
      stage: 'mailbox',
      field: 'clientId',
      message: expect.stringContaining('Mail.Send'),
    });
  });

  it('quotes only the first line of what Graph said, bounded', () => {
    const failure = explainGraphAnswer(
      answer(400, 'ErrorInvalidRecipients', `first line\n${'x'.repeat(1000)}`),
      CONTEXT,
    );
    expect(failure).toMatchObject({
      stage: 'recipients',
      message: expect.stringContaining('(first line)'),
    });
  });
});
