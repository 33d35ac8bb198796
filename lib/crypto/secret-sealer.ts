import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SecretUnsealError } from '../errors/secret-unseal.error';
import type { SealedSecret } from '../interfaces/smtp-settings.types';

const ALGORITHM = 'aes-256-gcm';
/** Bound to tenant, field and destination (0.2.0 on). */
const PREFIX = 'enc:v2:';
/** Bound to the field name only (0.1.0): opened once, to be resealed as v2 at start-up. */
const LEGACY_PREFIX = 'enc:v1:';

/**
 * What a sealed secret is bound to: it opens only for the same tenant (the store's key: a served
 * tenant, or its backup connection's), field and destination, so that someone who can write the
 * store but has no key cannot redirect it to another server.
 */
export interface SecretBinding {
  tenant: string;
  field: string;
  /** The fields that decide where the secret is sent, normalised (see `destinationOf`). */
  destination: Readonly<Record<string, string | number | boolean>>;
}

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

/** A secret sealed by 0.1.0, whose additional data is only the field name. */
export function isLegacySealedSecret(sealed: unknown): boolean {
  return typeof sealed === 'string' && sealed.startsWith(LEGACY_PREFIX);
}

/** Any sealed secret, of any version: what a store must not lose the key of. */
export function isSealedSecret(value: unknown): boolean {
  return typeof value === 'string' && /^enc:v\d+:/.test(value);
}

/**
 * Canonical and unambiguous: JSON of the parts, destination keys sorted. A positional array, so
 * that the names in code never reach it: every secret already sealed depends on these exact bytes.
 */
function additionalData({ tenant, field, destination }: SecretBinding): Buffer {
  const entries = Object.entries(destination).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(['nest-smtp-settings', 2, tenant, field, entries]));
}

/**
 * Seals secrets with AES-256-GCM before they reach any store. Each secret gets a random IV, and its
 * binding (tenant, field, destination) is the additional data: a ciphertext moved to another field,
 * tenant or server no longer opens. Older keys stay usable for opening, so rotating needs no migration.
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

  seal(plaintext: string, binding: SecretBinding): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(this.currentId)!, iv);
    cipher.setAAD(additionalData(binding));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url'));
    return `${PREFIX}${this.currentId}:${parts.join(':')}`;
  }

  /** Opens a v2 secret for exactly the binding it was sealed with. */
  open(sealed: string, binding: SecretBinding): string {
    if (isLegacySealedSecret(sealed)) {
      throw new SecretUnsealError(
        binding.field,
        'it was sealed by version 0.1.0 and was not migrated at start-up',
      );
    }
    return this.decrypt(sealed, PREFIX, binding.field, additionalData(binding));
  }

  /** Opens a 0.1.0 secret, only to reseal it: it says nothing about where it may be sent. */
  openLegacy(sealed: string, field: string): string {
    return this.decrypt(sealed, LEGACY_PREFIX, field, Buffer.from(field));
  }

  private decrypt(sealed: string, prefix: string, field: string, aad: Buffer): string {
    // Records come from a store that someone else may have written: anything can be there.
    const [keyId, iv, tag, ciphertext] =
      typeof sealed === 'string' && sealed.startsWith(prefix)
        ? sealed.slice(prefix.length).split(':')
        : [];
    if (keyId === undefined) throw new SecretUnsealError(field, 'it is not a sealed secret');
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretUnsealError(
        field,
        `it was sealed with key ${keyId}, which is not configured`,
      );
    }
    try {
      // A fixed tag length: GCM would otherwise accept a truncated tag, which is far easier to forge.
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv ?? '', 'base64url'), {
        authTagLength: 16,
      });
      decipher.setAAD(aad);
      decipher.setAuthTag(Buffer.from(tag ?? '', 'base64url'));
      const plain = Buffer.concat([
        decipher.update(Buffer.from(ciphertext ?? '', 'base64url')),
        decipher.final(),
      ]);
      return plain.toString('utf8');
    } catch {
      throw new SecretUnsealError(
        field,
        'the settings it belongs to were altered, or it was sealed with another key',
      );
    }
  }
}
