import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SecretUnsealError } from '../errors/settings-store.error';
import type { SealedSecret } from '../settings/smtp-settings.types';

const ALGORITHM = 'aes-256-gcm';
const PREFIX = 'enc:v1:';

/** A short, public fingerprint of a key: recorded with each secret so that keys can be rotated. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 8);
}

/** Decodes a base64 key and checks that it is 32 bytes, without ever echoing it. */
export function parseEncryptionKey(base64: string, name = 'encryptionKey'): Buffer {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) {
    throw new Error(`${name} must be 32 bytes encoded in base64 (got ${key.length} bytes)`);
  }
  return key;
}

/**
 * Seals secrets with AES-256-GCM before they reach any store. Each secret gets a random IV, and the
 * field name is bound as additional data, so a ciphertext cannot be moved to another field.
 * Older keys stay usable for opening, so rotating the key needs no migration step.
 */
export class SecretSealer {
  private readonly keys = new Map<string, Buffer>();
  private readonly currentId: string;

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== 32) throw new Error('encryption keys must be 32 bytes');
      this.keys.set(keyIdOf(key), key);
    }
    this.currentId = keyIdOf(current);
  }

  get keyId(): string {
    return this.currentId;
  }

  seal(plaintext: string, field: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(this.currentId)!, iv);
    cipher.setAAD(Buffer.from(field));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
    return `${PREFIX}${this.currentId}:${parts.join(':')}`;
  }

  open(sealed: string, field: string): string {
    const [keyId, iv, tag, ciphertext] = sealed.startsWith(PREFIX)
      ? sealed.slice(PREFIX.length).split(':')
      : [];
    const key = keyId === undefined ? undefined : this.keys.get(keyId);
    if (!key) {
      throw new SecretUnsealError(
        keyId === undefined
          ? `the stored ${field} is not a sealed secret`
          : `the stored ${field} was sealed with key ${keyId}, which is not configured`,
      );
    }
    try {
      // A fixed tag length: GCM would otherwise accept a truncated tag, which is far easier to forge.
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv ?? '', 'base64url'), {
        authTagLength: 16,
      });
      decipher.setAAD(Buffer.from(field));
      decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
      const plain = Buffer.concat([
        decipher.update(Buffer.from(ciphertext ?? '', 'base64url')),
        decipher.final(),
      ]);
      return plain.toString('utf8');
    } catch {
      throw new SecretUnsealError(
        `the stored ${field} could not be decrypted: it was altered or sealed with another key`,
      );
    }
  }
}
