import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  type OpenApiOptions,
} from '../internal/api-property';
import { VERIFY_FAILED_RESPONSE, VERIFY_QUERY } from './openapi/save-with-verify.openapi';
import {
  DOMAIN_ERROR_SCHEMA,
  FIELD_ERRORS_SCHEMA,
  FORBIDDEN_OR_UPGRADE_RESPONSE,
  RATE_LIMITED_RESPONSE,
  SMTP_SETTINGS_BODY_SCHEMA,
} from './openapi/smtp-settings.openapi';

/**
 * The OpenAPI of a settings save (`PUT <path>` and `PUT <path>/backup`): the same body, query and
 * answers, with the state schema of the connection saved.
 */
export function ApiSaveSettings(
  operation: { summary: string; description: string },
  stateSchema: OpenApiOptions,
): MethodDecorator {
  return applyDecorators(
    ApiOperation(operation),
    ApiQuery(VERIFY_QUERY),
    ApiBody({ schema: SMTP_SETTINGS_BODY_SCHEMA }),
    ApiResponse({ status: 200, schema: stateSchema }),
    ApiResponse({
      status: 400,
      description: 'Invalid fields, or a verify other than true or false',
      schema: FIELD_ERRORS_SCHEMA,
    }),
    ApiResponse(FORBIDDEN_OR_UPGRADE_RESPONSE),
    ApiResponse({ status: 412, description: 'If-Match is stale', schema: DOMAIN_ERROR_SCHEMA }),
    ApiResponse(VERIFY_FAILED_RESPONSE),
    ApiResponse({ ...RATE_LIMITED_RESPONSE, description: 'With verify=true: as for verify' }),
  );
}
