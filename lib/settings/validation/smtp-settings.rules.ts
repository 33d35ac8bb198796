import { isFQDN, isIP, ValidateBy, type ValidationOptions } from 'class-validator';
import type { FieldProblem } from '../../interfaces/field-problem.interface';
import { effectiveTlsMode } from '../tls-mode';
import { certificateWarnings } from './client-certificate.rules';
import {
  providerOf,
  type ProviderRuleFields,
  type ProviderSettingsList,
} from '../provider-settings.interface';

/** Settings as the rules see them: settings without a server (Graph) have no port or TLS. */
type RuleFields = ProviderRuleFields;

/** Combinations that cannot work, or would expose a credential, as the article states them. */
export function crossFieldProblems(
  settings: RuleFields,
  providers: ProviderSettingsList,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const { type, port, useTls } = settings;
  const provider = providerOf(providers, settings);
  const smtp = provider?.smtpServer !== false;
  if (smtp && provider && !useTls) {
    // XOAUTH2 sends the access token itself: without TLS anyone on the path could reuse it.
    problems.push({
      field: 'useTls',
      message: `Bearer authentication requires useTls to be on: the ${provider.tokenName} must never be sent without TLS`,
    });
  } else if (smtp && (port === 587 || port === 465) && !useTls) {
    problems.push({ field: 'useTls', message: `port ${port} requires useTls to be on` });
  }
  if (type === 'bearer') problems.push(...(provider?.problems?.(settings) ?? []));
  return problems;
}

/**
 * Combinations that can work but usually are a mistake, and a certificate that expires soon: saved,
 * and pointed out.
 */
export function settingsWarnings(settings: RuleFields, providers: ProviderSettingsList): string[] {
  return [...serverWarnings(settings, providers), ...certificateWarnings(settings)];
}

function serverWarnings(settings: RuleFields, providers: ProviderSettingsList): string[] {
  if (settings.port === undefined || settings.useTls === undefined) return [];
  const warnings: string[] = [];
  const mode = effectiveTlsMode({ port: settings.port, tlsMode: settings.tlsMode });
  if (settings.port === 25 && settings.useTls) {
    warnings.push(
      'port 25 is normally used without TLS: the server must offer STARTTLS on port 25, or sending will fail',
    );
  }
  if (settings.useTls && settings.port === 587 && mode === 'implicit') {
    warnings.push('port 587 normally expects STARTTLS, not implicit TLS: check tlsMode');
  }
  if (settings.useTls && settings.port === 465 && mode === 'starttls') {
    warnings.push('port 465 normally expects implicit TLS, not STARTTLS: check tlsMode');
  }
  const provider = providerOf(providers, settings);
  if (provider && settings.hostname) {
    warnings.push(...(provider.warnings?.({ ...settings, hostname: settings.hostname }) ?? []));
  }
  if (settings.type === 'basic') {
    for (const known of providers.filter((p) => isHost(settings.hostname, p.knownHosts))) {
      warnings.push(...(known.basicWarnings?.(settings) ?? []));
    }
  }
  return warnings;
}

/** Whether `hostname` is one of `hosts`, as DNS compares names: any case, a trailing dot or none. */
export function isHost(hostname: string | undefined, hosts: readonly string[]): boolean {
  return typeof hostname === 'string' && hosts.includes(hostname.toLowerCase().replace(/\.$/, ''));
}

// Field formats, as class-validator decorators of the DTOs.

/** A DNS name or an IP address: no scheme, path, port or spaces, which admins often paste by mistake. */
export function isSmtpHostname(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  return isIP(value) || isFQDN(value, { require_tld: false, allow_underscores: false });
}

export function IsSmtpHostname(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isSmtpHostname', validator: { validate: isSmtpHostname } },
    {
      message: 'hostname must be a DNS name or an IP address (no scheme, path, port or spaces)',
      ...options,
    },
  );
}
