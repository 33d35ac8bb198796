export type * from './verify-result.interface';
export type { ExplainTarget } from './explain-target.interface';
export type { Explanation } from './explain-smtp-failure';
