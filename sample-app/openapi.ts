import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';

/**
 * Swagger UI at /docs (its assets from swagger-ui-dist, served by the app: no CDN) and the
 * document at /docs-json. The settings DTOs document themselves through the library's decorators.
 */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('nest-smtp-settings sample app')
    .setDescription(
      'The SMTP Server Settings API of nest-smtp-settings, with the sample app around it. ' +
        'Every route except the dev inbox needs the admin token: Authorize with ADMIN_TOKEN.',
    )
    .setVersion('0.2.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' }, 'admin')
    .addSecurityRequirements('admin')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup(DOCS_PATH, app, document, {
    customSiteTitle: 'nest-smtp-settings API',
    // No call to the online validator: the page loads nothing from outside the app.
    swaggerOptions: { validatorUrl: null, persistAuthorization: true },
  });
}
