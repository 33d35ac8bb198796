import type { MailProviderDescriptor } from '../transport/mail-provider-descriptor.interface';
import { GOOGLE } from './google/google.descriptor';
import { MICROSOFT_GRAPH } from './microsoft-graph/microsoft-graph.descriptor';
import { MICROSOFT_SMTP } from './microsoft-smtp/microsoft-smtp.descriptor';

/**
 * The registry: every provider the module sends with, in the order the admin page offers them. The
 * first is the default, as which a Bearer body with no known provider is checked. A new provider is
 * its folder beside these and one line here; the module provides this list as
 * `SMTP_SETTINGS_MAIL_PROVIDERS`, and no room below imports it.
 */
export const MAIL_PROVIDERS: readonly MailProviderDescriptor[] = [
  MICROSOFT_SMTP,
  MICROSOFT_GRAPH,
  GOOGLE,
];
