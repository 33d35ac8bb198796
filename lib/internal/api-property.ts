import { requireIfInstalled } from './optional-require';

/*
 * OpenAPI decorators that cost nothing when @nestjs/swagger is absent. The package is an optional
 * peer dependency: an app that has it gets documented DTOs and routes, one that has not gets no-ops.
 * Options are plain objects here, so that no type of @nestjs/swagger leaks into the public API.
 */

/** An OpenAPI schema or decorator options object, passed to @nestjs/swagger as it is. */
export type OpenApiOptions = Record<string, unknown>;

type ClassOrMethodDecorator = ClassDecorator & MethodDecorator;

interface SwaggerDecorators {
  ApiProperty(options?: OpenApiOptions): PropertyDecorator;
  ApiPropertyOptional(options?: OpenApiOptions): PropertyDecorator;
  ApiBody(options: OpenApiOptions): MethodDecorator;
  ApiOperation(options: OpenApiOptions): MethodDecorator;
  ApiQuery(options: OpenApiOptions): MethodDecorator;
  ApiResponse(options: OpenApiOptions): ClassOrMethodDecorator;
  ApiTags(...tags: string[]): ClassOrMethodDecorator;
  ApiExtraModels(...models: Function[]): ClassOrMethodDecorator;
}

let loaded: SwaggerDecorators | null | undefined;

/** @nestjs/swagger if the app installed it, else `null`. Loaded once, on first use. */
export function optionalSwagger(): SwaggerDecorators | null {
  if (loaded === undefined) loaded = requireIfInstalled<SwaggerDecorators>('@nestjs/swagger');
  return loaded;
}

const noop = (): void => undefined;

export function ApiProperty(options?: OpenApiOptions): PropertyDecorator {
  return optionalSwagger()?.ApiProperty(options) ?? noop;
}

export function ApiPropertyOptional(options?: OpenApiOptions): PropertyDecorator {
  return optionalSwagger()?.ApiPropertyOptional(options) ?? noop;
}

export function ApiBody(options: OpenApiOptions): MethodDecorator {
  return optionalSwagger()?.ApiBody(options) ?? noop;
}

export function ApiOperation(options: OpenApiOptions): MethodDecorator {
  return optionalSwagger()?.ApiOperation(options) ?? noop;
}

export function ApiQuery(options: OpenApiOptions): MethodDecorator {
  return optionalSwagger()?.ApiQuery(options) ?? noop;
}

export function ApiResponse(options: OpenApiOptions): ClassOrMethodDecorator {
  return optionalSwagger()?.ApiResponse(options) ?? noop;
}

export function ApiTags(...tags: string[]): ClassOrMethodDecorator {
  return optionalSwagger()?.ApiTags(...tags) ?? noop;
}

export function ApiExtraModels(...models: Function[]): ClassOrMethodDecorator {
  return optionalSwagger()?.ApiExtraModels(...models) ?? noop;
}

/** Where @nestjs/swagger puts a DTO's schema; computed here so that it needs no import. */
export function schemaRef(model: Function): { $ref: string } {
  return { $ref: `#/components/schemas/${model.name}` };
}
