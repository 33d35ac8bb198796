import type { OpenApiOptions } from '../../internal/api-property';
import { VERIFY_RESULT_SCHEMA } from './smtp-settings.openapi';

/* The OpenAPI shapes of `PUT ?verify=true`: check the settings, and save them only if they pass. */

/** `PUT ?verify=true`: check the settings first, and save only if the check passes. */
export const VERIFY_QUERY: OpenApiOptions = {
  name: 'verify',
  required: false,
  enum: ['true', 'false'],
  description:
    'true: check the settings as POST verify checks an unsaved body, and save them only if the check passes (422 otherwise). false or absent: save without checking',
};

/** `PUT ?verify=true` whose check failed: nothing was saved. */
export const VERIFY_FAILED_RESPONSE: OpenApiOptions = {
  status: 422,
  description: 'With verify=true: the check failed, and nothing was saved',
  schema: {
    type: 'object',
    required: ['statusCode', 'code', 'message', 'verify'],
    properties: {
      statusCode: { type: 'integer', example: 422 },
      code: { type: 'string', enum: ['VERIFY_FAILED'] },
      message: {
        type: 'string',
        description: "The verify result's message: what failed, and what to fix",
        example: 'authentication failed: check username and password',
      },
      verify: VERIFY_RESULT_SCHEMA,
    },
  },
};
