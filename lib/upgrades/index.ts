export * from '../interfaces/upgrade-center.interface';
export * from './upgrades.constants';
export * from './options-upgrade-center';
export * from './upgrade-ids';
