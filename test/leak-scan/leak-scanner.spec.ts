import { generateKeyPairSync } from 'node:crypto';
import { findLeaks, pemLinesOf } from './leak-scanner';

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

describe('pemLinesOf', () => {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const body = privateKey.trim().split('\n').slice(1, -1);

  it('makes every line of base64 of a PEM key a secret, the short last one too, and not its armour', () => {
    const lines = pemLinesOf(privateKey);
    expect(lines).toEqual(body);
    expect(lines.at(-1)!.length).toBeLessThan(64);
    expect(lines.join('\n')).not.toContain('PRIVATE KEY');
    expect(pemLinesOf(privateKey.replace(/\n/g, '\r\n'))).toEqual(body);
    expect(pemLinesOf('not a pem')).toEqual([]);
  });

  it('finds one line of a key in a log line, and in a response that escaped it as JSON', () => {
    const line = body[7]!;
    const leaks = findLeaks(pemLinesOf(privateKey), [
      { kind: 'log', where: 'a log line', text: `signing with ${line} failed` },
      { kind: 'response', where: 'PUT /', text: JSON.stringify({ key: privateKey }) },
    ]);
    expect(leaks.filter((l) => l.kind === 'log')).toHaveLength(1);
    expect(leaks.filter((l) => l.kind === 'response')).toHaveLength(body.length);
  });
});
