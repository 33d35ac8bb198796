export * from './microsoft-options.interface';
export * from './microsoft-token.error';
export * from './microsoft-token.provider';
