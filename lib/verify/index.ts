export type * from './verify-result.interface';
