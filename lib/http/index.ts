// The REST adapter's public part: the filter an app's own routes can reuse, the upgrade guard,
// and the shapes the API answers. The controller, its factory and the access guard
// are wiring: the module registers them, nobody else.
export { SmtpSettingsExceptionFilter } from './smtp-settings-exception.filter';
export * from './bearer-upgrade.guard';
export type { SmtpSettingsCapabilities } from './capabilities.interface';
export type { DeliveryView, DeliveryViewReason, SmtpSettingsAdminState } from './delivery-view';
