/*
 * Optional peer dependencies (@azure/msal-node for Bearer, pg for the PostgreSQL store,
 * @nestjs/swagger for OpenAPI), loaded on first use so that apps without them never load them.
 */

/**
 * The package, or an error naming it and the command that installs it: `<neededFor> needs the
 * <name> package: npm install <name>`. `toError` lets a caller raise it as one of its domain errors.
 */
export function requireOptional<T>(
  name: string,
  neededFor: string,
  toError: (message: string) => Error = (message) => new Error(message),
): T {
  const loaded = requireIfInstalled<T>(name);
  if (loaded === null) throw toError(`${neededFor} needs the ${name} package: npm install ${name}`);
  return loaded;
}

/** The package if the app installed it, else `null`; any other failure to load it is thrown. */
export function requireIfInstalled<T>(name: string): T | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (error) {
    if (isMissing(name, error)) return null;
    throw error;
  }
}

/** The package itself is missing, not a module that it requires in turn. */
function isMissing(name: string, error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${name}'`)
  );
}
