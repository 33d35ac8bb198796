import type { ProviderSettingsList } from './provider-settings.interface';

/** A server the admin page proposes. */
export type ServerProposal = Readonly<{ hostname?: string; port?: number; useTls?: boolean }>;

/** What the admin page proposes for a new configuration. */
export interface SmtpSettingsProposals {
  basic: ServerProposal;
  /** The first provider's, with its id. */
  bearer: ServerProposal & { provider: string };
  /** What each Bearer provider proposes when chosen: Microsoft Graph has no server to propose. */
  providers: Readonly<Record<string, ServerProposal>>;
}

/** What the admin page proposes, per the product article: Basic on port 25, and each provider's own. */
export function proposalsOf(providers: ProviderSettingsList): SmtpSettingsProposals {
  const [first] = providers;
  return {
    basic: { port: 25, useTls: false },
    bearer: { provider: first?.id ?? '', ...first?.proposal },
    providers: Object.fromEntries(providers.map(({ id, proposal }) => [id, proposal])),
  };
}
