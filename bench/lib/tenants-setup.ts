import {
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Pool } from 'pg';
import {
  PostgresSmtpSettingsStore,
  SmtpSettingsModule,
  SmtpSettingsService,
  type SmtpSettingsModuleOptions,
  type SmtpSettingsRecord,
} from '../../lib';
import { TEST_DATABASE_URL } from '../../test/fixtures/postgres';
import { runLoad } from './load';
import { basicSettings } from './setup';

/** Tenant number `i`: `tenant-00042`. A bearer token in the benchmarks is the tenant id itself. */
export function tenantId(i: number): string {
  return `tenant-${String(i).padStart(5, '0')}`;
}

/** `Bearer <tenant id>` is an admin of that tenant: the guard only names the tenant. */
@Injectable()
export class BenchTenantGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const tenant = /^Bearer (tenant-\d+)$/.exec(req.headers['authorization'] ?? '')?.[1];
    if (!tenant) throw new UnauthorizedException('a tenant token is required');
    req.user = { id: 'bench-admin', tenantId: tenant };
    return true;
  }
}

/** The PostgreSQL store, counting its reads: a tenant read from memory does not reach it. */
export class CountingPostgresStore extends PostgresSmtpSettingsStore {
  gets = 0;

  override get(tenant: string): Promise<SmtpSettingsRecord | null> {
    this.gets++;
    return super.get(tenant);
  }
}

export interface TenantsApp {
  app: INestApplication;
  store: CountingPostgresStore;
}

/** A Nest app on the tables of `schema`, with the tenant option reading what the guard set. */
export async function createTenantsApp(
  schema: string,
  encryptionKey: string,
  options: Partial<SmtpSettingsModuleOptions> = {},
): Promise<TenantsApp> {
  const store = new CountingPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
  const moduleRef = await Test.createTestingModule({
    imports: [
      SmtpSettingsModule.forRoot({
        store,
        encryptionKey,
        guards: [BenchTenantGuard],
        tenant: (req) => (req['user'] as { tenantId?: string } | undefined)?.tenantId,
        ...options,
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, store };
}

/**
 * Configures tenants 0..count-1 with Basic settings for `sink`, as their admins would: through
 * `SmtpSettingsService.update`, which validates, seals each secret bound to its tenant and writes
 * the record with its history entry. In an app of its own, closed afterwards, so that the app under
 * measurement starts with nothing of them in memory. Resolves with the seconds it took.
 */
export async function seedTenants(
  schema: string,
  encryptionKey: string,
  count: number,
  sink: { host: string; port: number },
): Promise<number> {
  const { app } = await createTenantsApp(schema, encryptionKey);
  try {
    const settings = app.get(SmtpSettingsService);
    const load = await runLoad({
      count,
      concurrency: 16,
      send: (i) => settings.update(basicSettings(sink), { tenant: tenantId(i), actor: 'seed' }),
    });
    if (load.failed) throw new Error(`${load.failed} tenants could not be configured`);
    return load.durationMs / 1000;
  } finally {
    await app.close();
  }
}

/** Drops the benchmark's schemas, whatever happened. */
export async function dropSchemas(names: string[]): Promise<void> {
  const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  try {
    for (const name of names) await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await pool.end();
  }
}
