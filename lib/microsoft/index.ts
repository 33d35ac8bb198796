export * from '../options/microsoft-options.interface';
export * from '../errors/token-request-failed.error';
export * from './microsoft-token.provider';
