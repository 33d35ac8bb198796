import { randomBytes } from 'node:crypto';
import { sealAsV1 } from '../fixtures/legacy-seal';
import { SecretUnsealError } from '../../lib/errors/secret-unseal.error';
import {
  isLegacySealedSecret,
  keyIdOf,
  parseEncryptionKey,
  SecretSealer,
  type SecretBinding,
} from '../../lib/crypto/secret-sealer';

const PLAINTEXT = 'correct horse battery staple';
const BINDING: SecretBinding = {
  tenant: 'default',
  field: 'password',
  destination: { type: 'basic', hostname: 'mail.example.com', port: 587, useTls: true },
};
const ALTERED = 'the settings it belongs to were altered, or it was sealed with another key';

/** Flips one bit in one base64url part of a sealed secret: `enc:v2:<keyId>:<iv>:<tag>:<ciphertext>`. */
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

  it('opens what it sealed, for the same binding', () => {
    const sealed = sealer.seal(PLAINTEXT, BINDING);

    expect(sealed).toMatch(new RegExp(`^enc:v2:${keyIdOf(key)}:`));
    expect(sealed).not.toContain(PLAINTEXT);
    expect(sealer.open(sealed, { ...BINDING, destination: { ...BINDING.destination } })).toBe(
      PLAINTEXT,
    );
  });

  it('does not depend on the order of the destination fields', () => {
    const sealed = sealer.seal(PLAINTEXT, BINDING);
    const reordered = Object.fromEntries(Object.entries(BINDING.destination).reverse());

    expect(sealer.open(sealed, { ...BINDING, destination: reordered })).toBe(PLAINTEXT);
  });

  it('seals the same secret differently each time (random IV)', () => {
    const first = sealer.seal(PLAINTEXT, BINDING);
    const second = sealer.seal(PLAINTEXT, BINDING);

    expect(first).not.toBe(second);
    expect(sealer.open(second, BINDING)).toBe(PLAINTEXT);
  });

  it.each(['iv', 'tag', 'ciphertext'] as const)('rejects a tampered %s', (part) => {
    const sealed = tamper(sealer.seal(PLAINTEXT, BINDING), part);

    expect(() => sealer.open(sealed, BINDING)).toThrow(SecretUnsealError);
    expect(() => sealer.open(sealed, BINDING)).toThrow(
      `the stored password cannot be opened: ${ALTERED}`,
    );
  });

  it('rejects a truncated authentication tag', () => {
    const parts = sealer.seal(PLAINTEXT, BINDING).split(':');
    parts[4] = Buffer.from(parts[4] ?? '', 'base64url')
      .subarray(0, 4)
      .toString('base64url');

    expect(() => sealer.open(parts.join(':'), BINDING)).toThrow(SecretUnsealError);
  });

  it.each([
    ['another field', { field: 'clientSecret' }],
    ['another tenant', { tenant: 'tenant-2' }],
    ['another hostname', { destination: { ...BINDING.destination, hostname: 'evil.example' } }],
    ['another port', { destination: { ...BINDING.destination, port: 2525 } }],
    ['TLS off', { destination: { ...BINDING.destination, useTls: false } }],
    ['an extra destination field', { destination: { ...BINDING.destination, tenantId: 'x' } }],
  ])('rejects a ciphertext moved to %s', (_what, change) => {
    const sealed = sealer.seal(PLAINTEXT, BINDING);
    const error = errorOf(() => sealer.open(sealed, { ...BINDING, ...change }));

    expect(error).toBeInstanceOf(SecretUnsealError);
    expect((error as SecretUnsealError).reason).toBe(ALTERED);
  });

  it('rejects a value that is not a sealed secret, without echoing it', () => {
    const error = errorOf(() => sealer.open(PLAINTEXT, BINDING));

    expect(error).toBeInstanceOf(SecretUnsealError);
    expect(error.message).toBe('the stored password cannot be opened: it is not a sealed secret');
  });

  it('names the key id, and no key material, when a secret was sealed with another key', () => {
    const otherKey = randomBytes(32);
    const sealed = new SecretSealer(otherKey).seal(PLAINTEXT, BINDING);
    const error = errorOf(() => sealer.open(sealed, BINDING));

    expect(error).toBeInstanceOf(SecretUnsealError);
    expect(error.message).toBe(
      `the stored password cannot be opened: it was sealed with key ${keyIdOf(otherKey)}, which is not configured`,
    );
    for (const material of [key, otherKey]) {
      for (const encoding of ['base64', 'base64url', 'hex'] as const) {
        expect(error.message).not.toContain(material.toString(encoding));
      }
    }
  });

  it('still opens secrets sealed with a previous key, and seals new ones with the current key', () => {
    const oldKey = randomBytes(32);
    const sealedBefore = new SecretSealer(oldKey).seal(PLAINTEXT, BINDING);
    const rotated = new SecretSealer(key, [oldKey]);

    expect(rotated.open(sealedBefore, BINDING)).toBe(PLAINTEXT);
    expect(rotated.seal(PLAINTEXT, BINDING)).toMatch(new RegExp(`^enc:v2:${keyIdOf(key)}:`));
  });

  it('opens a secret sealed by an earlier release: the additional data is unchanged', () => {
    // Sealed by the release before the store's "scope" was renamed "tenant" (the additional data is
    // ['nest-smtp-settings', 2, tenant, field, destination entries]); any change to it breaks this.
    const earlierKey = Buffer.alloc(32, 0x2a);
    const sealedEarlier =
      'enc:v2:VE5izugD:g62HF1JAxJw14opH:VndkQooVzoxgLYzZj_zX1A:3BrRAHxdnVJWB4uNsp07Eh-X_OI2e_IF';
    const binding: SecretBinding = { ...BINDING, tenant: 'acme' };

    expect(new SecretSealer(earlierKey).open(sealedEarlier, binding)).toBe(
      'sealed before the rename',
    );
    expect(() =>
      new SecretSealer(earlierKey).open(sealedEarlier, { ...binding, tenant: 'default' }),
    ).toThrow(SecretUnsealError);
  });

  describe('secrets sealed by 0.1.0 (enc:v1)', () => {
    const legacy = sealAsV1(key, PLAINTEXT, 'password');

    it('opens them only through openLegacy, for the field they were sealed for', () => {
      expect(isLegacySealedSecret(legacy)).toBe(true);
      expect(isLegacySealedSecret(sealer.seal(PLAINTEXT, BINDING))).toBe(false);
      expect(sealer.openLegacy(legacy, 'password')).toBe(PLAINTEXT);
      expect(() => sealer.openLegacy(legacy, 'clientSecret')).toThrow(SecretUnsealError);
    });

    it('never opens them as bound secrets: they say nothing about their destination', () => {
      expect(() => sealer.open(legacy, BINDING)).toThrow(
        'the stored password cannot be opened: it was sealed by version 0.1.0 and was not migrated at start-up',
      );
    });

    it('does not open a v2 secret as a legacy one', () => {
      expect(() => sealer.openLegacy(sealer.seal(PLAINTEXT, BINDING), 'password')).toThrow(
        'it is not a sealed secret',
      );
    });
  });

  it('never puts the plaintext in an error message', () => {
    const sealed = sealer.seal(PLAINTEXT, BINDING);
    const failures = [
      () => sealer.open(tamper(sealed, 'ciphertext'), BINDING),
      () => sealer.open(tamper(sealed, 'tag'), BINDING),
      () => sealer.open(sealed, { ...BINDING, field: 'clientSecret' }),
      () => new SecretSealer(randomBytes(32)).open(sealed, BINDING),
      () => sealer.open(PLAINTEXT, BINDING),
      () => sealer.openLegacy(PLAINTEXT, 'password'),
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
