export * from '../options/microsoft-options.interface';
export * from '../errors/microsoft-token.error';
export * from './microsoft-token.provider';
