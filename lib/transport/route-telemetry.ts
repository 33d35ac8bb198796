import type { SmtpConnectionName } from '../interfaces/smtp-connection.interface';
import type { TelemetryRoute } from '../telemetry/send-probe';
import type { TenantRoute } from './channel-registry';
import type { SmtpChannel } from './smtp-channel';

/**
 * The channel a message is on, in telemetry's words: `relay`, `graph` (Microsoft Graph, whichever
 * connection), or the tenant's `main` or `backup` connection; its provider (`basic` for Basic
 * settings) and its server.
 */
export function routeTelemetry(
  { channel }: TenantRoute,
  connection: SmtpConnectionName,
): TelemetryRoute {
  // A channel's target never changes: one route per channel and connection, for every message.
  const known = routesByChannel.get(channel)?.[connection];
  if (known) return known;
  const route = describe(channel, connection);
  routesByChannel.set(channel, { ...routesByChannel.get(channel), [connection]: route });
  return route;
}

const routesByChannel = new WeakMap<
  SmtpChannel,
  Partial<Record<SmtpConnectionName, TelemetryRoute>>
>();

function describe(channel: SmtpChannel, connection: SmtpConnectionName): TelemetryRoute {
  const { target } = channel;
  const provider = target.provider ?? target.type;
  return {
    channel:
      channel.kind === 'relay' ? 'relay' : provider === 'microsoft-graph' ? 'graph' : connection,
    ...(channel.kind === 'custom' && provider ? { provider } : {}),
    host: target.hostname,
    port: target.port,
  };
}
