import type { SendMailOptions } from 'nodemailer';
import { HeaderInjectionError } from '../errors/header-injection.error';

const HEADER_FIELDS = [
  'from',
  'sender',
  'to',
  'cc',
  'bcc',
  'replyTo',
  'inReplyTo',
  'references',
  'subject',
  'messageId',
] as const;

/**
 * Refuses CR or LF in anything that becomes a header line, before nodemailer sees it. Nodemailer
 * encodes most of them, but a refusal is clearer than a silently rewritten header.
 */
export function assertNoHeaderInjection(message: SendMailOptions): void {
  for (const field of HEADER_FIELDS) check(message[field], field);
  const headers = message.headers;
  if (headers && typeof headers === 'object') {
    const entries = Array.isArray(headers)
      ? headers.map((h: { key: string; value: unknown }) => [h.key, h.value] as const)
      : Object.entries(headers);
    for (const [key, value] of entries) {
      check(key, 'headers');
      check(value, `headers.${key}`);
    }
  }
}

function check(value: unknown, field: string): void {
  if (typeof value === 'string') {
    if (/[\r\n]/.test(value)) throw new HeaderInjectionError(field);
  } else if (Array.isArray(value)) {
    for (const item of value) check(item, field);
  } else if (value && typeof value === 'object') {
    for (const part of Object.values(value as Record<string, unknown>)) check(part, field);
  }
}
