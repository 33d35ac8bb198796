import type { SmtpSettingsModuleOptions } from '../options/smtp-settings-options.interface';

/** The `telemetry` option, checked, with its default. */
export interface ResolvedTelemetryOptions {
  tenantAttribute: boolean;
}

/** Refuses what is not `{ tenantAttribute?: boolean }`, naming the option; at startup. */
export function resolveTelemetryOptions(
  options: Pick<SmtpSettingsModuleOptions, 'telemetry'>,
): ResolvedTelemetryOptions {
  const telemetry: unknown = options.telemetry;
  if (telemetry === undefined) return { tenantAttribute: false };
  if (typeof telemetry !== 'object' || telemetry === null || Array.isArray(telemetry)) {
    throw new Error(
      'SmtpSettingsModule: telemetry must be an object: { tenantAttribute?: boolean }',
    );
  }
  const { tenantAttribute = false, ...rest } = telemetry as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) {
    throw new Error(
      `SmtpSettingsModule: telemetry.${unknown} is not an option (telemetry takes tenantAttribute)`,
    );
  }
  if (typeof tenantAttribute !== 'boolean') {
    throw new Error('SmtpSettingsModule: telemetry.tenantAttribute must be true or false');
  }
  return { tenantAttribute };
}
