import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

/**
 * class-validator on the sample app's own bodies, answering like the settings API does:
 * 400 with `errors: [{ field, message }]`, one message per field.
 */
export function fieldValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors: ValidationError[]) => {
      const problems = errors.map((error) => ({
        field: error.property,
        message:
          error.constraints?.whitelistValidation !== undefined
            ? `property ${error.property} is not allowed`
            : (error.constraints?.isDefined ??
              Object.values(error.constraints ?? {})[0] ??
              `${error.property} is invalid`),
      }));
      return new BadRequestException({
        statusCode: 400,
        code: 'INVALID_BODY',
        message: problems.map((p) => p.message),
        errors: problems,
      });
    },
  });
}
