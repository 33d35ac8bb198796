import { OUTBOX_STATUSES } from '../../interfaces/outbox.interface';
import type { OpenApiOptions } from '../../internal/api-property';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../outbox-query';

/* The OpenAPI shapes of the send log routes: responses are interfaces, so written out here. */

const nullableString = { type: 'string', nullable: true };
const statusEnum = { type: 'string', enum: [...OUTBOX_STATUSES] };

export const SEND_LOG_ENTRY_SCHEMA: OpenApiOptions = {
  type: 'object',
  description: 'One message of the send log: never its body or an attachment',
  required: [
    'id',
    'tenant',
    'createdAt',
    'updatedAt',
    'status',
    'recipientCount',
    'recipients',
    'subject',
    'attempts',
    'lastError',
    'route',
    'settingsVersion',
    'connection',
    'messageId',
    'response',
    'heldReason',
  ],
  properties: {
    id: { type: 'string' },
    tenant: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    status: {
      ...statusEnum,
      description:
        'queued: waiting for a worker, its delay or its next attempt; held: the tenant’s settings cannot send (saving settings releases it); uncertain: the connection failed after the whole message was written, never retried automatically',
    },
    recipientCount: { type: 'integer' },
    recipients: { type: 'array', items: { type: 'string' } },
    subject: nullableString,
    attempts: { type: 'integer' },
    lastError: {
      type: 'object',
      nullable: true,
      required: ['code', 'message', 'at'],
      properties: {
        code: { type: 'string' },
        stage: { type: 'string' },
        message: { type: 'string', description: 'What went wrong, explained' },
        at: { type: 'string', format: 'date-time' },
      },
    },
    route: { type: 'string', nullable: true, enum: ['relay', 'custom', null] },
    settingsVersion: { type: 'integer', nullable: true },
    connection: {
      type: 'string',
      nullable: true,
      enum: ['main', 'backup', null],
      description:
        'Which of the tenant’s connections took the message: backup after a failover; null until it is sent, and for the relay',
    },
    messageId: { type: 'string', description: 'The Message-ID that every attempt carries' },
    response: { ...nullableString, description: 'The server’s reply, once sent' },
    heldReason: { ...nullableString, description: 'Why the message is held, while it is' },
  },
};

export const SEND_LOG_PAGE_SCHEMA: OpenApiOptions = {
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: {
    items: { type: 'array', items: SEND_LOG_ENTRY_SCHEMA },
    nextCursor: {
      ...nullableString,
      description: 'Pass as cursor for the next page; null at the end',
    },
  },
};

export const SEND_LOG_QUERIES: OpenApiOptions[] = [
  {
    name: 'status',
    required: false,
    schema: statusEnum,
    description: 'Only messages with this status',
  },
  {
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  },
  {
    name: 'cursor',
    required: false,
    schema: { type: 'string' },
    description: 'The nextCursor of the previous page',
  },
];

export const RETRY_RESULT_SCHEMA: OpenApiOptions = {
  type: 'object',
  required: ['id', 'status'],
  properties: { id: { type: 'string' }, status: { type: 'string', enum: ['queued'] } },
};

const count = { type: 'integer', minimum: 0 };

export const OUTBOX_SUMMARY_SCHEMA: OpenApiOptions = {
  type: 'object',
  required: [
    'tenant',
    'counts',
    'oldestWaitingAt',
    'oldestWaitingAgeMs',
    'rateLimit',
    'waiting',
    'hourly',
  ],
  properties: {
    tenant: { type: 'string' },
    counts: {
      type: 'object',
      description: 'Messages in the send log, by status',
      properties: Object.fromEntries(OUTBOX_STATUSES.map((status) => [status, count])),
    },
    oldestWaitingAt: {
      ...nullableString,
      format: 'date-time',
      description: 'Creation of the oldest message still queued, sending or held',
    },
    oldestWaitingAgeMs: { type: 'integer', nullable: true },
    rateLimit: {
      type: 'object',
      nullable: true,
      description: 'The limit of the tenant’s current route, shared by every replica',
      properties: { limit: count, windowMs: count, used: count },
    },
    waiting: {
      type: 'object',
      nullable: true,
      description:
        'Why the tenant’s mail waits behind one probe message, as this replica found it: held (the settings cannot send), deferred (the provider asked for a pause) or retrying (the server cannot be reached or did not finish), and when the probe is tried next',
      properties: {
        kind: { type: 'string', enum: ['held', 'deferred', 'retrying'] },
        reason: { type: 'string' },
        nextAttemptAt: { type: 'string', format: 'date-time' },
      },
    },
    hourly: {
      type: 'array',
      description: 'The last 24 hours, oldest first: messages sent, failed and held in each',
      items: {
        type: 'object',
        properties: {
          hour: { type: 'string', format: 'date-time' },
          sent: count,
          failed: count,
          held: count,
        },
      },
    },
  },
};

const codeSchema = (codes: string[]): OpenApiOptions => ({
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', enum: codes },
    message: { type: 'string' },
  },
});

/** Every outbox route of an app without the outbox option, and an id the tenant has not. */
export const OUTBOX_NOT_FOUND_RESPONSE: OpenApiOptions = {
  status: 404,
  description:
    'No outbox in this app (code OUTBOX_NOT_CONFIGURED), or no message with this id in the tenant’s send log (code MESSAGE_NOT_FOUND)',
  schema: codeSchema(['OUTBOX_NOT_CONFIGURED', 'MESSAGE_NOT_FOUND']),
};

export const OUTBOX_UNAVAILABLE_RESPONSE: OpenApiOptions = {
  status: 503,
  description: 'The outbox’s store (Redis or PostgreSQL) cannot be reached',
  schema: codeSchema(['OUTBOX_UNAVAILABLE']),
};

export const NOT_RETRYABLE_RESPONSE: OpenApiOptions = {
  status: 409,
  description: 'Only a failed, uncertain or held message can be retried',
  schema: codeSchema(['NOT_RETRYABLE']),
};
