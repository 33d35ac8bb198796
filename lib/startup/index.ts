export * from './relay-certificate-check';
