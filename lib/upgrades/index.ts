export * from './upgrade-center.interface';
export * from './upgrades.constants';
export * from './options-upgrade-center';
export * from './bearer-upgrade.guard';
export * from './upgrade-required.exception';
export * from './upgrade-ids';
