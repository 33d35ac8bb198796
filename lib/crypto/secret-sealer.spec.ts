import { randomBytes } from 'node:crypto';
import { SecretUnsealError } from '../errors/settings-store.error';
import { keyIdOf, parseEncryptionKey, SecretSealer } from './secret-sealer';

const PLAINTEXT = 'correct horse battery staple';

/** Flips one bit in one base64url part of a sealed secret: `enc:v1:<keyId>:<iv>:<tag>:<ciphertext>`. */
function tamper(sealed: string, part: 'iv' | 'tag' | 'ciphertext'): string {
  const parts = sealed.split(':');
  const index = { iv: 3, tag: 4, ciphertext: 5 }[part];
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join(':');
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('SecretSealer', () => {
  const key = randomBytes(32);
  const sealer = new SecretSealer(key);

  it('opens what it sealed', () => {
    const sealed = sealer.seal(PLAINTEXT, 'password');

    expect(sealed).toMatch(new RegExp(`^enc:v1:${keyIdOf(key)}:`));
    expect(sealed).not.toContain(PLAINTEXT);
    expect(sealer.open(sealed, 'password')).toBe(PLAINTEXT);
  });

  it('seals the same secret differently each time (random IV)', () => {
    const first = sealer.seal(PLAINTEXT, 'password');
    const second = sealer.seal(PLAINTEXT, 'password');

    expect(first).not.toBe(second);
    expect(sealer.open(second, 'password')).toBe(PLAINTEXT);
  });

  it.each(['iv', 'tag', 'ciphertext'] as const)('rejects a tampered %s', (part) => {
    const sealed = tamper(sealer.seal(PLAINTEXT, 'password'), part);

    expect(() => sealer.open(sealed, 'password')).toThrow(SecretUnsealError);
    expect(() => sealer.open(sealed, 'password')).toThrow(
      'the stored password could not be decrypted: it was altered or sealed with another key',
    );
  });

  it('rejects a truncated authentication tag', () => {
    const parts = sealer.seal(PLAINTEXT, 'password').split(':');
    parts[4] = Buffer.from(parts[4] ?? '', 'base64url')
      .subarray(0, 4)
      .toString('base64url');

    expect(() => sealer.open(parts.join(':'), 'password')).toThrow(SecretUnsealError);
  });

  it('rejects a ciphertext moved to another field', () => {
    const sealed = sealer.seal(PLAINTEXT, 'password');

    expect(() => sealer.open(sealed, 'clientSecret')).toThrow(SecretUnsealError);
  });

  it('rejects a value that is not a sealed secret, without echoing it', () => {
    const error = errorOf(() => sealer.open(PLAINTEXT, 'password'));

    expect(error).toBeInstanceOf(SecretUnsealError);
    expect(error.message).toBe('the stored password is not a sealed secret');
  });

  it('names the key id, and no key material, when a secret was sealed with another key', () => {
    const otherKey = randomBytes(32);
    const sealed = new SecretSealer(otherKey).seal(PLAINTEXT, 'password');
    const error = errorOf(() => sealer.open(sealed, 'password'));

    expect(error).toBeInstanceOf(SecretUnsealError);
    expect(error.message).toBe(
      `the stored password was sealed with key ${keyIdOf(otherKey)}, which is not configured`,
    );
    for (const material of [key, otherKey]) {
      for (const encoding of ['base64', 'base64url', 'hex'] as const) {
        expect(error.message).not.toContain(material.toString(encoding));
      }
    }
  });

  it('still opens secrets sealed with a previous key, and seals new ones with the current key', () => {
    const oldKey = randomBytes(32);
    const sealedBefore = new SecretSealer(oldKey).seal(PLAINTEXT, 'clientSecret');
    const rotated = new SecretSealer(key, [oldKey]);

    expect(rotated.open(sealedBefore, 'clientSecret')).toBe(PLAINTEXT);
    expect(rotated.keyId).toBe(keyIdOf(key));
    expect(rotated.seal(PLAINTEXT, 'clientSecret')).toMatch(new RegExp(`^enc:v1:${keyIdOf(key)}:`));
  });

  it('never puts the plaintext in an error message', () => {
    const sealed = sealer.seal(PLAINTEXT, 'password');
    const failures = [
      () => sealer.open(tamper(sealed, 'ciphertext'), 'password'),
      () => sealer.open(tamper(sealed, 'tag'), 'password'),
      () => sealer.open(sealed, 'clientSecret'),
      () => new SecretSealer(randomBytes(32)).open(sealed, 'password'),
      () => sealer.open(PLAINTEXT, 'password'),
    ];

    for (const failure of failures) {
      expect(errorOf(failure).message).not.toContain(PLAINTEXT);
    }
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(() => new SecretSealer(randomBytes(16))).toThrow('encryption keys must be 32 bytes');
    expect(() => new SecretSealer(key, [randomBytes(31)])).toThrow(
      'encryption keys must be 32 bytes',
    );
  });
});

describe('parseEncryptionKey', () => {
  it('decodes a base64 key of 32 bytes, ignoring surrounding whitespace', () => {
    const key = randomBytes(32);

    expect(parseEncryptionKey(`  ${key.toString('base64')}\n`)).toEqual(key);
  });

  it('rejects a key of the wrong length, naming the option and not echoing the value', () => {
    const short = randomBytes(16).toString('base64');

    expect(() => parseEncryptionKey(short)).toThrow(
      'encryptionKey must be 32 bytes encoded in base64 (got 16 bytes)',
    );
    const error = errorOf(() => parseEncryptionKey(short, 'SMTP_SETTINGS_KEY'));
    expect(error.message).toBe(
      'SMTP_SETTINGS_KEY must be 32 bytes encoded in base64 (got 16 bytes)',
    );
    expect(error.message).not.toContain(short);
  });
});
