import type { SendMailOptions } from 'nodemailer';
import { MessageNotQueueableError } from '../errors/message-not-queueable.error';

/** A message as the queue keeps it: JSON only, Buffers as base64. */
export type StoredMessage = Record<string, unknown>;

/** What a job of the outbox carries: the message and what every attempt needs to know. */
export interface OutboxJobData {
  id: string;
  tenant: string;
  /** Set at enqueue: every attempt sends the same one. */
  messageId: string;
  /** Epoch milliseconds of the enqueue. */
  createdAt: number;
  /** Transient failures are retried until `windowStart + retryWindowMs` (a retry from the log starts a new window). */
  windowStart: number;
  message: StoredMessage;
}

const BUFFER = '$outboxBuffer';

/**
 * The message as JSON: Buffers (and typed arrays) become `{ $outboxBuffer: base64 }`. Streams,
 * functions and other objects that JSON would lose are refused, naming the field.
 */
export function serializeMessage(message: SendMailOptions): StoredMessage {
  const { tenant: _tenant, ...rest } = message as SendMailOptions & { tenant?: unknown };
  void _tenant;
  return toJson(rest, 'message') as StoredMessage;
}

/** The message back as nodemailer takes it. */
export function deserializeMessage(stored: StoredMessage): SendMailOptions {
  return fromJson(stored) as SendMailOptions;
}

function toJson(value: unknown, field: string): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return value;
  }
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new MessageNotQueueableError(field, `a ${typeof value} cannot be stored`);
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    return { [BUFFER]: Buffer.from(value).toString('base64') };
  }
  if (value instanceof Date) return value.toISOString();
  if (typeof (value as { pipe?: unknown }).pipe === 'function') {
    throw new MessageNotQueueableError(
      field,
      field.startsWith('message.attachments')
        ? 'attachments must be Buffers or strings to be queued'
        : 'streams cannot be queued: pass a Buffer or a string',
    );
  }
  if (Array.isArray(value)) return value.map((item, i) => toJson(item, `${field}[${i}]`));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw new MessageNotQueueableError(
      field,
      'only plain objects, strings and Buffers can be queued',
    );
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item !== undefined) out[key] = toJson(item, `${field}.${key}`);
  }
  return out;
}

function fromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record[BUFFER] === 'string' && Object.keys(record).length === 1) {
      return Buffer.from(record[BUFFER], 'base64');
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, fromJson(v)]));
  }
  return value;
}
