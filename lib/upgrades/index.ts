export * from '../interfaces/upgrade-center.interface';
export * from './upgrades.constants';
export * from './options-upgrade-center';
export * from '../http/bearer-upgrade.guard';
export * from '../http/upgrade-required.exception';
export * from './upgrade-ids';
