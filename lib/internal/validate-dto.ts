import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import type { FieldProblem } from '../interfaces/field-problem.interface';

/** Keys that could reach an object's prototype once copied. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks an untrusted JSON body against a DTO class and returns the problems, one per field.
 * Nothing is coerced: a port sent as "587" is an error, not a number. Line breaks are refused in
 * every string, since any of them may end up in an SMTP header, except in the fields named in
 * `multiline` (a PEM key, which never goes into a message).
 */
export function checkDto<T extends object>(
  cls: new () => T,
  body: unknown,
  multiline: readonly string[] = [],
): { dto: T; problems: FieldProblem[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const problems = [{ field: 'body', message: 'the body must be a JSON object' }];
    return { dto: new cls(), problems };
  }
  const problems: FieldProblem[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (FORBIDDEN_KEYS.has(key))
      problems.push({ field: key, message: `property ${key} is not allowed` });
    else if (typeof value === 'string' && /[\r\n]/.test(value) && !multiline.includes(key)) {
      problems.push({ field: key, message: `${key} must not contain line breaks` });
    }
  }
  // Every field is a primitive. An object in its place is invalid however deep it is, so it is
  // flattened before class-transformer copies it (deep nesting would overflow the stack).
  const safe = Object.fromEntries(
    Object.entries(body)
      .filter(([key]) => !FORBIDDEN_KEYS.has(key))
      .map(([key, value]) => [
        key,
        typeof value === 'object' && value !== null ? shallow(value) : value,
      ]),
  );
  const dto = plainToInstance(cls, safe);
  const reported = new Set(problems.map((p) => p.field));
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: true });
  for (const error of errors) {
    if (!reported.has(error.property)) problems.push(toProblem(error));
    reported.add(error.property);
  }
  return { dto, problems };
}

/** `checkDto`, throwing the caller's error (which lists every problem) when there is one. */
export function validateDto<T extends object>(
  cls: new () => T,
  body: unknown,
  toError: (problems: FieldProblem[]) => Error,
): T {
  const { dto, problems } = checkDto(cls, body);
  if (problems.length > 0) throw toError(problems);
  return dto;
}

function shallow(value: object): object {
  return Array.isArray(value) ? [] : {};
}

function toProblem(error: ValidationError): FieldProblem {
  if (error.constraints?.whitelistValidation !== undefined) {
    return { field: error.property, message: `property ${error.property} is not allowed` };
  }
  // Decorators run bottom-up, so the last failure is the top-most one ("must be a string" before
  // the format); IsDefined runs before all. One message per field keeps the answer readable.
  const message = error.constraints?.isDefined ?? Object.values(error.constraints ?? {}).at(-1);
  return { field: error.property, message: message ?? `${error.property} is invalid` };
}
