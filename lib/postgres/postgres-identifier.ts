/** A PostgreSQL identifier (a schema, table or function name), double-quoted and escaped. */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
