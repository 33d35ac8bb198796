import type { OpenApiOptions } from '../../internal/api-property';

const nullableString = { type: 'string', nullable: true };

/** What `GET <path>` says of the backup connection: its state, or `null` when none is saved. */
export const BACKUP_VIEW_SCHEMA: OpenApiOptions = {
  type: 'object',
  nullable: true,
  description:
    'The backup connection that direct sends fail over to, without its secret; null when none is saved',
  required: ['version', 'updatedAt', 'updatedBy', 'settings', 'warnings'],
  properties: {
    version: { type: 'integer', description: "The backup's own version: the ETag of GET backup" },
    updatedAt: { ...nullableString, format: 'date-time' },
    updatedBy: nullableString,
    settings: {
      type: 'object',
      nullable: true,
      description: 'As the main settings show them: never a secret, only whether one is set',
      additionalProperties: true,
    },
    warnings: { type: 'array', items: { type: 'string' } },
  },
};

/** `GET <path>/backup` and the answer of its `PUT`. */
export const BACKUP_STATE_SCHEMA: OpenApiOptions = {
  type: 'object',
  required: ['tenant', 'version', 'updatedAt', 'updatedBy', 'settings', 'warnings'],
  properties: {
    tenant: { type: 'string', example: 'default' },
    ...(BACKUP_VIEW_SCHEMA['properties'] as Record<string, unknown>),
  },
};

/** `?connection=` of verify and test-email. */
export const CONNECTION_QUERY = {
  name: 'connection',
  required: false,
  enum: ['main', 'backup'],
  description: 'backup: check or send through the backup connection instead; main by default',
};

/** What the delivery view says of the connection in use. */
export const DELIVERY_CONNECTION_PROPERTIES: Record<string, OpenApiOptions> = {
  connection: {
    type: 'string',
    enum: ['main', 'backup'],
    description:
      'The connection direct sends take now: backup after a failover, until main takes a message again',
  },
  failover: {
    type: 'object',
    nullable: true,
    required: ['reason', 'since', 'retryMainAt'],
    description: 'Why the backup is in use, since when, and when main is tried again; null on main',
    properties: {
      reason: { type: 'string' },
      since: { type: 'string', format: 'date-time' },
      retryMainAt: { type: 'string', format: 'date-time' },
    },
  },
};

/** A history entry's connection. */
export const HISTORY_CONNECTION_SCHEMA: OpenApiOptions = {
  type: 'string',
  enum: ['main', 'backup'],
  description:
    'backup: a change of the backup connection (its own versions); absent: the main settings',
};

/** `GET <path>/history`: both connections' changes, newest first. */
export const HISTORY_SCHEMA: OpenApiOptions = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      version: { type: 'integer' },
      at: { type: 'string', format: 'date-time' },
      by: nullableString,
      action: { type: 'string', enum: ['update', 'reset'] },
      changed: { type: 'array', items: { type: 'string' }, description: 'Field names, no values' },
      connection: HISTORY_CONNECTION_SCHEMA,
    },
  },
};
