import { BasicSmtpSettingsDto } from '../../settings/validation/smtp-settings.dto';
import { MAIL_PROVIDERS } from '../../providers/mail-providers';
import { schemaRef, type OpenApiOptions } from '../../internal/api-property';
import { BACKUP_VIEW_SCHEMA, DELIVERY_CONNECTION_PROPERTIES } from './backup.openapi';

/*
 * The OpenAPI shapes of the settings routes. Bodies come from the DTOs; responses are interfaces,
 * which carry no metadata, so their schemas are written out here.
 */

/**
 * The DTOs of the settings body, registered as extra models by the controller: Basic's, then each
 * registered provider's. Decorators run when the class loads, so these are the registry's.
 */
export const SMTP_SETTINGS_BODY_MODELS = [
  BasicSmtpSettingsDto,
  ...MAIL_PROVIDERS.map((provider) => provider.dto),
];

/**
 * The PUT and verify body: Basic, or Bearer of one provider. Told apart by `type`, then `provider`:
 * OpenAPI's discriminator names one property, so each schema's enums tell them apart instead.
 */
export const SMTP_SETTINGS_BODY_SCHEMA: OpenApiOptions = {
  oneOf: SMTP_SETTINGS_BODY_MODELS.map((model) => schemaRef(model)),
};

const nullableString = { type: 'string', nullable: true };

export const SMTP_SETTINGS_STATE_SCHEMA: OpenApiOptions = {
  type: 'object',
  required: [
    'tenant',
    'source',
    'version',
    'updatedAt',
    'updatedBy',
    'settings',
    'warnings',
    'backup',
    'delivery',
  ],
  properties: {
    tenant: {
      type: 'string',
      description:
        'The tenant these settings belong to: the one the tenant option found for the caller, else the default tenant',
      example: 'default',
    },
    source: {
      type: 'string',
      enum: ['relay', 'custom'],
      description: 'relay: no settings saved, mail goes through the default relay',
    },
    version: { type: 'integer', description: 'Also sent as the ETag; send it back in If-Match' },
    updatedAt: { ...nullableString, format: 'date-time' },
    updatedBy: nullableString,
    settings: {
      type: 'object',
      nullable: true,
      description:
        'The saved settings without their secret: passwordSet, clientSecretSet, clientCertificateSet or privateKeySet says that one is stored; a certificate credential shows clientCertificate { subject, thumbprintSha256, notAfter }, never its key',
      additionalProperties: true,
    },
    warnings: { type: 'array', items: { type: 'string' } },
    backup: BACKUP_VIEW_SCHEMA,
    delivery: {
      type: 'object',
      description:
        'Whether mail can go out through the current route now, why not, and how the last messages went',
      required: ['canSend', 'reason', 'message', 'lastFailure', 'lastSuccessAt'].concat(
        Object.keys(DELIVERY_CONNECTION_PROPERTIES),
      ),
      properties: {
        canSend: { type: 'boolean' },
        reason: {
          type: 'string',
          nullable: true,
          enum: ['upgrade-removed', 'secret-unavailable', 'no-route', null],
          description:
            'upgrade-removed: Bearer settings without the smtp-oauth upgrade; secret-unavailable: the stored secret cannot be opened; no-route: no settings and no relay',
        },
        message: { ...nullableString, description: 'Why mail cannot go out, and the fix' },
        lastFailure: {
          type: 'object',
          nullable: true,
          required: ['code', 'message', 'at'],
          properties: {
            code: { type: 'string' },
            message: { type: 'string', description: 'What went wrong, explained' },
            at: { type: 'string', format: 'date-time' },
          },
        },
        lastSuccessAt: { ...nullableString, format: 'date-time' },
        ...DELIVERY_CONNECTION_PROPERTIES,
      },
    },
  },
};

export const FIELD_ERRORS_SCHEMA: OpenApiOptions = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer', example: 400 },
    code: { type: 'string', example: 'INVALID_SETTINGS' },
    message: { type: 'array', items: { type: 'string' } },
    errors: {
      type: 'array',
      description: 'One problem per field, named as the admin sees it',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: {
          field: { type: 'string', example: 'useTls' },
          message: { type: 'string', example: 'port 587 requires useTls to be on' },
        },
      },
    },
  },
};

export const DOMAIN_ERROR_SCHEMA: OpenApiOptions = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    message: { type: 'string' },
  },
};

/** What the admin guards answer, on every route. */
export const UNAUTHORIZED_RESPONSE: OpenApiOptions = {
  status: 401,
  description: 'No admin credentials: the application’s guards refused the request',
};
export const FORBIDDEN_RESPONSE: OpenApiOptions = {
  status: 403,
  description:
    'Not an admin (the application’s guards refused the request), or no tenant: the tenant option ' +
    'found none for the caller, or an invalid id (code TENANT_REQUIRED); nothing was read or changed',
  schema: {
    type: 'object',
    properties: {
      statusCode: { type: 'integer', example: 403 },
      code: { type: 'string', example: 'TENANT_REQUIRED' },
      message: {
        type: 'string',
        example:
          'This request has no tenant: the tenant option found none for the authenticated caller',
      },
    },
  },
};

/** PUT and verify: the guards' and the tenant's 403, or Bearer without its upgrade. */
export const FORBIDDEN_OR_UPGRADE_RESPONSE: OpenApiOptions = {
  status: 403,
  description:
    'Not an admin, no tenant (code TENANT_REQUIRED), or Bearer without the smtp-oauth upgrade ' +
    'installed for this tenant (code UPGRADE_REQUIRED)',
  schema: {
    type: 'object',
    properties: {
      statusCode: { type: 'integer', example: 403 },
      code: { type: 'string', enum: ['TENANT_REQUIRED', 'UPGRADE_REQUIRED'] },
      message: { type: 'string' },
    },
  },
};

/** `verify` and `test-email` are limited per admin of each tenant (`adminActionsRateLimit`). */
export const RATE_LIMITED_RESPONSE: OpenApiOptions = {
  status: 429,
  description: 'Too many verify and test-email requests from this admin',
  headers: {
    'Retry-After': {
      description: 'Seconds until the next request is allowed',
      schema: { type: 'integer', minimum: 1 },
    },
  },
  schema: {
    type: 'object',
    properties: {
      statusCode: { type: 'integer', example: 429 },
      code: { type: 'string', enum: ['RATE_LIMITED'] },
      message: {
        type: 'string',
        example: 'Too many connection checks and test emails: try again in 42 seconds',
      },
    },
  },
};

/** Where a check or a test email stopped (`VerifyStage`). */
const VERIFY_STAGES = [
  'dns',
  'connect',
  'tls',
  'auth',
  'token',
  'mailbox',
  'sender',
  'recipients',
  'message',
];
const FIELD = { type: 'string', description: 'The settings field to fix, when one is to blame' };

export const VERIFY_RESULT_SCHEMA: OpenApiOptions = {
  type: 'object',
  required: ['ok', 'stage', 'code', 'message', 'durationMs', 'route'],
  properties: {
    ok: { type: 'boolean' },
    stage: {
      type: 'string',
      enum: VERIFY_STAGES,
      description:
        'The last stage reached: auth when everything passed (mailbox for Microsoft Graph)',
    },
    code: {
      ...nullableString,
      description: 'SMTP reply code, nodemailer, AADSTS or Microsoft Graph error code',
    },
    message: { type: 'string', description: 'What the admin should do next' },
    field: FIELD,
    durationMs: { type: 'integer' },
    route: { type: 'string', enum: ['relay', 'custom'] },
  },
};

export const TEST_EMAIL_RESULT_SCHEMA: OpenApiOptions = {
  type: 'object',
  required: ['ok'],
  properties: {
    ok: { type: 'boolean' },
    messageId: { type: 'string' },
    route: { type: 'string', enum: ['relay', 'custom'] },
    accepted: { type: 'array', items: { type: 'string' } },
    rejected: { type: 'array', items: { type: 'string' } },
    stage: {
      type: 'string',
      enum: VERIFY_STAGES,
      description: 'When ok is false: where delivery stopped',
    },
    code: { ...nullableString, description: 'When ok is false: SMTP reply code or error code' },
    message: { type: 'string', description: 'When ok is false: what went wrong' },
    field: FIELD,
    refused: {
      type: 'array',
      description: 'The recipients the server refused, and why',
      items: {
        type: 'object',
        properties: {
          recipient: { type: 'string' },
          code: nullableString,
          message: { type: 'string' },
        },
      },
    },
  },
};

export const CAPABILITIES_SCHEMA: OpenApiOptions = {
  type: 'object',
  properties: {
    authTypes: { type: 'array', items: { type: 'string', enum: ['basic', 'bearer'] } },
    providers: {
      type: 'array',
      items: { type: 'string', enum: MAIL_PROVIDERS.map((provider) => provider.id) },
    },
    upgrade: {
      type: 'object',
      properties: {
        id: { type: 'string', example: 'smtp-oauth' },
        name: { type: 'string' },
        installed: { type: 'boolean' },
      },
    },
    relay: { type: 'object', properties: { maxRecipients: { type: 'integer', example: 50 } } },
    defaults: { type: 'object', additionalProperties: true },
  },
};
