import type { SendMailOptions, Transporter } from 'nodemailer';
import type { SendResult } from '../interfaces/send-result.interface';
import { MessageNotQueueableError } from '../errors/message-not-queueable.error';
import { findExternalContent } from '../transport/external-content';
import { ATTEMPT_PROBE } from '../telemetry/smtp-telemetry';

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
  /**
   * The W3C trace context (`traceparent`, `tracestate`) of the span that enqueued it, so that each
   * attempt's span links to it on any replica. Absent without telemetry, and in older jobs.
   */
  trace?: Record<string, string>;
}

const BUFFER = '$outboxBuffer';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The message as JSON: Buffers (and typed arrays) become `{ $outboxBuffer: base64 }`. Refused,
 * naming the field, before anything is stored: what JSON would lose (streams, functions, class
 * instances), what the queue could not keep or no server takes (a NUL character or a lone
 * surrogate in a string: PostgreSQL's jsonb refuses both), content to read later from a file or a
 * URL (the outbox keeps only the bytes it was given), and a message over `maxBytes`.
 */
export function serializeMessage(message: SendMailOptions, maxBytes: number): StoredMessage {
  const { tenant: _tenant, ...rest } = message as SendMailOptions & { tenant?: unknown };
  void _tenant;
  const external = findExternalContent(rest);
  if (external) {
    throw new MessageNotQueueableError(
      `message.${external}`,
      'the outbox keeps only the content it was given, never a file or a URL to read later: pass the content as a string or a Buffer',
    );
  }
  const size = { bytes: 0 };
  const stored = toJson(rest, 'message', size) as StoredMessage;
  if (size.bytes > maxBytes) {
    throw new MessageNotQueueableError(
      'message',
      `its texts and attachments are ${size.bytes} bytes, over outbox.maxMessageBytes (${maxBytes})`,
    );
  }
  return stored;
}

/** The message back as nodemailer takes it. */
export function deserializeMessage(stored: StoredMessage): SendMailOptions {
  return fromJson(stored) as SendMailOptions;
}

function toJson(value: unknown, field: string, size: { bytes: number }): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) {
      throw new MessageNotQueueableError(
        field,
        'it contains a NUL character (\\u0000): pass binary content as a Buffer',
      );
    }
    if (LONE_SURROGATE.test(value)) {
      throw new MessageNotQueueableError(field, 'it is not valid Unicode (a lone surrogate)');
    }
    size.bytes += Buffer.byteLength(value);
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    throw new MessageNotQueueableError(field, `a ${typeof value} cannot be stored`);
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    size.bytes += value.byteLength;
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
  if (Array.isArray(value)) return value.map((item, i) => toJson(item, `${field}[${i}]`, size));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw new MessageNotQueueableError(
      field,
      'only plain objects, strings and Buffers can be queued',
    );
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (key.includes('\u0000')) {
      throw new MessageNotQueueableError(field, 'a key contains a NUL character (\\u0000)');
    }
    if (item !== undefined) out[key] = toJson(item, `${field}.${key}`, size);
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

/**
 * Sends the job's message through the live transport (`transporter`), with its Message-ID and
 * tenant; `signal` interrupts the attempt (shutdown). `attempt`: the key of the attempt's
 * telemetry, which the transport reports the route to.
 */
export function deliverJob(
  transporter: Transporter<SendResult>,
  data: OutboxJobData,
  signal: AbortSignal,
  attempt?: string,
): Promise<SendResult> {
  const message = deserializeMessage(data.message);
  return transporter.sendMail({
    ...message,
    messageId: data.messageId,
    tenant: data.tenant,
    signal,
    ...(attempt ? { [ATTEMPT_PROBE]: attempt } : {}),
  } as SendMailOptions);
}
