export * from './smtp-settings.error';
export * from './settings-validation.error';
export * from './settings-version-conflict.error';
export * from './upgrade-required.error';
export * from './settings-store.error';
export * from './delivery-unavailable.error';
export * from './invalid-request.error';
