/** A problem with one field, named as the admin sees it. */
export interface FieldProblem {
  field: string;
  message: string;
}
