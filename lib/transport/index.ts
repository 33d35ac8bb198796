export * from './relay-options.interface';
export * from './live-smtp-transport';
export * from './mail-events.interface';
export * from './recipient-limit-exceeded.error';
export * from './partial-delivery.error';
export * from './no-route.error';
export type { RouteKind } from './smtp-route';
export { tlsOptionsFor } from './tls-mapping';
