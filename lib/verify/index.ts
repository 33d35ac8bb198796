export type * from '../interfaces/verify-result.interface';
export type { ExplainTarget } from '../transport/verify/explain-target.interface';
export type { Explanation } from '../transport/verify/explain-smtp-failure';
