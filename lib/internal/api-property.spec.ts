/* eslint-disable @typescript-eslint/no-require-imports */
import 'reflect-metadata';
type OpenApi = typeof import('./api-property');

/** The helper, loaded afresh with `@nestjs/swagger` replaced by what `swagger` returns or throws. */
function loadWith(swagger: () => unknown): OpenApi {
  let loaded!: OpenApi;
  jest.isolateModules(() => {
    jest.doMock('@nestjs/swagger', swagger);
    loaded = require('./api-property') as OpenApi;
  });
  return loaded;
}

const notInstalled = () => {
  throw Object.assign(new Error("Cannot find module '@nestjs/swagger'"), {
    code: 'MODULE_NOT_FOUND',
  });
};

describe('OpenAPI decorators', () => {
  afterEach(() => {
    jest.dontMock('@nestjs/swagger');
    jest.resetModules(); // a mocked module's instance would otherwise outlive its test
  });

  it('are no-ops when @nestjs/swagger is not installed, so that it stays optional', () => {
    const openapi = loadWith(notInstalled);
    expect(openapi.optionalSwagger()).toBeNull();

    @openapi.ApiTags('x')
    @openapi.ApiExtraModels(Object)
    class Controller {
      @openapi.ApiOperation({ summary: 'x' })
      @openapi.ApiBody({ schema: {} })
      @openapi.ApiResponse({ status: 200 })
      route(): void {}
    }
    class Dto {
      @openapi.ApiProperty({ example: 1 })
      value!: number;

      @openapi.ApiPropertyOptional()
      other?: string;
    }
    // Only TypeScript's own design-time metadata: nothing from @nestjs/swagger.
    const keys = (target: object, key?: string) =>
      (key ? Reflect.getMetadataKeys(target, key) : Reflect.getMetadataKeys(target)).filter(
        (k: unknown) => !String(k).startsWith('design:'),
      );
    expect(keys(Dto.prototype, 'value')).toEqual([]);
    expect(keys(Controller)).toEqual([]);
    expect(keys(Controller.prototype, 'route')).toEqual([]);
  });

  it('document the DTOs when @nestjs/swagger is installed', () => {
    const openapi = loadWith(() => jest.requireActual('@nestjs/swagger'));
    expect(openapi.optionalSwagger()).not.toBeNull();
    class Dto {
      @openapi.ApiProperty({ example: 1 })
      value!: number;
    }
    expect(Reflect.getMetadata('swagger/apiModelPropertiesArray', Dto.prototype)).toEqual([
      ':value',
    ]);
  });

  it('do not hide an @nestjs/swagger that fails to load for another reason', () => {
    const openapi = loadWith(() => {
      throw new Error('broken install');
    });
    expect(() => openapi.optionalSwagger()).toThrow('broken install');
  });

  it('point at the schema @nestjs/swagger names after the class', () => {
    class BasicSmtpSettingsDto {}
    expect(loadWith(notInstalled).schemaRef(BasicSmtpSettingsDto)).toEqual({
      $ref: '#/components/schemas/BasicSmtpSettingsDto',
    });
  });
});
