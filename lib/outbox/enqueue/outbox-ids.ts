import { createHash, randomUUID } from 'node:crypto';

/**
 * The id of a message being enqueued: random, or, with an idempotency key, derived from the tenant
 * and the key (SHA-256, shaped as a UUID). The same key then names the same entry and the same job,
 * so that the entry and the job are written together with nothing to claim first, and a retry after
 * an uncertain answer finds what the first call may have written.
 */
export function messageIdFor(tenant: string, idempotencyKey?: string): string {
  if (idempotencyKey === undefined) return randomUUID();
  const hex = createHash('sha256').update(`${tenant}\u0000${idempotencyKey}`, 'utf8').digest('hex');
  // Version 8 (a custom UUID) and the RFC 4122 variant, so that it reads as any other id.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
