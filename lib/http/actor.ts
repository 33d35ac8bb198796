import type {
  SmtpSettingsModuleOptions,
  SmtpSettingsRequest,
} from '../options/smtp-settings-options.interface';

/** Who is calling: the `actor` option, else the id, username or email your guard put on `req.user`. */
export function actorOf(
  options: SmtpSettingsModuleOptions,
  req: SmtpSettingsRequest,
): string | null {
  if (options.actor) return options.actor(req) ?? null;
  const user = req.user as Record<string, unknown> | undefined;
  const id = user?.id ?? user?.username ?? user?.email;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}
