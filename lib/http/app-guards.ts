import type { CanActivate, Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import { messageOf } from '../internal/message-of';

/** Nest's own metadata keys (stable since Nest 8): constructor types, `@Inject` tokens, `@Optional`. */
const PARAMTYPES = 'design:paramtypes';
const SELF_DECLARED = 'self:paramtypes';
const OPTIONAL = 'optional:paramtypes';

type Token = Parameters<ModuleRef['get']>[0];

/**
 * An app's guard as `@UseGuards` on one of the app's own controllers would have it: the instance
 * the app provides when it does, else one created with its constructor's dependencies looked up in
 * the whole app (`strict: false`), since the guard's dependencies (a session service in a feature
 * module) live in the app's modules, not in this one. Fails naming the guard, the dependency and
 * the fix, so that the app does not start with routes that answer 500.
 */
export async function createAppGuard(
  moduleRef: ModuleRef,
  type: Type<CanActivate>,
): Promise<CanActivate> {
  const provided = lookUp<CanActivate>(moduleRef, type);
  if (provided) return provided;
  const types = (Reflect.getMetadata(PARAMTYPES, type) ?? []) as Token[];
  const declared = (Reflect.getMetadata(SELF_DECLARED, type) ?? []) as Array<{
    index: number;
    param: Token;
  }>;
  const optional = new Set((Reflect.getMetadata(OPTIONAL, type) ?? []) as number[]);
  const count = Math.max(type.length, types.length);
  const args: unknown[] = [];
  for (let index = 0; index < count; index++) {
    const token = declared.find((d) => d.index === index)?.param ?? types[index];
    const found = token === undefined ? undefined : lookUp(moduleRef, token);
    if (found === undefined && !optional.has(index)) {
      throw new Error(
        `SmtpSettingsModule: cannot create the guard ${type.name}: its dependency ${nameOf(token)} ` +
          `(argument ${index}) is provided by no module of the app. Provide ${nameOf(token)} in a ` +
          `module the app imports (exported, or global), provide ${type.name} itself in one, or ` +
          `pass an instance in guards.`,
      );
    }
    args.push(found);
  }
  try {
    return new type(...args);
  } catch (error) {
    throw new Error(
      `SmtpSettingsModule: creating the guard ${type.name} failed: ${messageOf(error)}`,
    );
  }
}

function lookUp<T>(moduleRef: ModuleRef, token: Token): T | undefined {
  try {
    return moduleRef.get(token, { strict: false }) as T;
  } catch {
    return undefined;
  }
}

function nameOf(token: Token | undefined): string {
  if (token === undefined) return 'an unknown type (a circular import, or an interface)';
  if (typeof token === 'function') return token.name;
  return String(token);
}
