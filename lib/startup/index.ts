export * from '../options/relay-certificate-check';
