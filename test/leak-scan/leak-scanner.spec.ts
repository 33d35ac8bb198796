import { findLeaks } from './leak-scanner';

describe('findLeaks', () => {
  // Its base64 has '+' and '/', so that base64 and base64url differ.
  const secret = 'correct horse ~~~ battery >>>???';

  it.each([
    ['plain', secret],
    ['base64', Buffer.from(secret).toString('base64')],
    ['base64url', Buffer.from(secret).toString('base64url')],
    ['hex', Buffer.from(secret).toString('hex')],
  ])('finds a secret copied in %s form', (form, copy) => {
    const leaks = findLeaks(
      [secret],
      [{ kind: 'log', where: 'a log line', text: `auth with ${copy}!` }],
    );
    expect(leaks).toEqual([{ kind: 'log', where: 'a log line', form, hint: 'cor…' }]);
  });

  it('reports nothing for clean output and ignores secrets too short to tell apart from words', () => {
    expect(
      findLeaks(
        [secret, 'p'],
        [{ kind: 'response', where: 'GET /', text: '{"passwordSet":true}' }],
      ),
    ).toEqual([]);
  });
});
